package dev.stanch.ledger;

import static dev.stanch.ledger.LedgerFixtures.T0;
import static dev.stanch.ledger.LedgerFixtures.WEB;
import static dev.stanch.ledger.LedgerFixtures.detection;
import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.detection.Detection;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.detection.Target;
import dev.stanch.playbook.Decision;
import dev.stanch.playbook.History;
import dev.stanch.playbook.Playbook;
import dev.stanch.playbook.PlaybookEngine;
import dev.stanch.playbook.PlaybookLoader;
import dev.stanch.playbook.PlaybookSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Detections stored once, and the history the playbooks count, on a real PostgreSQL. */
@ExtendWith(LedgerPostgresExtension.class)
class LedgerDetectionsIT {

    private static final Target OTHER_POD = new Target("shop", "web-7d9f-bbbbb", "app");
    private static final Target OTHER_NAMESPACE = new Target("staging", "web-7d9f-aaaaa", "app");

    private static Ledger ledger;
    private static JdbcClient sql;

    @BeforeAll
    static void database(LedgerPostgres postgres) {
        DataSource dataSource = postgres.newDatabase();
        ledger = new Ledger(dataSource, new MutableClock(T0));
        sql = JdbcClient.create(dataSource);
    }

    @Test
    void aDetectionStoredTwiceIsStoredOnce() {
        Detection first = detection("twice", T0, WEB);
        // A redelivery: same id, the rest as another instance of the detector may have sent it.
        Detection again = new Detection(
                "twice",
                first.source(),
                "another rule",
                first.severity(),
                T0.plusSeconds(1),
                OTHER_POD,
                null,
                first.fields());

        assertThat(ledger.storeDetection(first)).isTrue();
        assertThat(ledger.storeDetection(again)).isFalse();
        assertThat(ledger.storeDetection(first)).isFalse();

        assertThat(sql.sql("select count(*) from detections where id = 'twice'")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
        assertThat(ledger.detection("twice")).contains(first);
    }

    @Test
    void twoInstancesStoringTheSameDetectionAtOnceStoreItOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                Detection d = detection("race-" + round, T0, WEB);
                CyclicBarrier start = new CyclicBarrier(2);
                List<Future<Boolean>> stored = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    stored.add(pool.submit(() -> {
                        start.await();
                        return ledger.storeDetection(d);
                    }));
                }
                assertThat(List.of(stored.get(0).get(), stored.get(1).get()))
                        .as("round %d", round)
                        .containsExactlyInAnyOrder(true, false);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * PostgreSQL refuses NUL in text and jsonb: a NUL an attacker puts into a command line must not
     * make the ledger refuse the detection, which would then escape response.
     */
    @Test
    void aDetectionWithNulsInItsTextIsStored() {
        String event = """
                {"output":"x","priority":"Notice","rule":"Terminal shell\\u0000 in container","time":"2026-11-22T10:00:00Z",\
                "output_fields":{"k8s.ns.name":"shop","k8s.pod.name":"web-7d9f-aaaaa","proc.cmdline":"sh -c \\u0000id",\
                "key\\u0000":"v","key\\uFFFD":"w"}}
                """;
        Detection detection = ((Normalization.Normalized) new DetectionNormalizer().normalize(event)).detection();

        assertThat(ledger.storeDetection(detection)).isTrue();

        Detection stored = ledger.detection(detection.id()).orElseThrow();
        assertThat(stored.rule()).isEqualTo("Terminal shell\uFFFD in container");
        assertThat(stored.fields())
                .containsEntry("proc.cmdline", "sh -c \uFFFDid")
                .containsEntry("key\uFFFD", "v")
                .containsEntry("key\uFFFD\uFFFD", "w");
    }

    @Test
    void aDetectionReadBackHasItsTimeToTheMicrosecond() {
        Instant nanos = Instant.parse("2024-03-22T11:45:01.589721382Z");
        ledger.storeDetection(detection("nanos", nanos, WEB));

        Detection read = ledger.detection("nanos").orElseThrow();

        assertThat(read.time()).isEqualTo(Instant.parse("2024-03-22T11:45:01.589721Z"));
        assertThat(read.fields()).isEqualTo(detection("nanos", nanos, WEB).fields());
        assertThat(read.connection()).isEqualTo(detection("nanos", nanos, WEB).connection());
        assertThat(ledger.detection("never-stored")).isEmpty();
    }

    @Test
    void matchesAreRecordedOncePerPlaybook() {
        Detection d = detection("matched", T0, WEB);
        ledger.storeDetection(d);

        ledger.recordMatches(d, List.of("a", "b"));
        ledger.recordMatches(d, List.of("b", "c"));

        assertThat(sql.sql("select playbook from detection_matches where detection_id = 'matched' order by playbook")
                        .query(String.class)
                        .list())
                .containsExactly("a", "b", "c");
    }

    /**
     * The ledger's history against the playbook package's own in-memory one, on the same detections:
     * the window is closed at both ends, other pods, namespaces and playbooks do not count, a
     * redelivered detection counts once, and the detection being decided does not count itself.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            window ends on the newest: all three in it                 | history | 2026-11-22T10:30:00Z      | 30 | decided | 3
            first exactly on the window's start counts                 | history | 2026-11-22T10:30:00Z      | 30 | decided | 3
            a microsecond later the first falls out                    | history | 2026-11-22T10:30:00.000001Z | 30 | decided | 2
            a shorter window keeps only the later ones                 | history | 2026-11-22T10:30:00Z      | 15 | decided | 1
            a detection after the one decided does not count           | history | 2026-11-22T10:12:00Z      | 30 | decided | 2
            the detection decided does not count itself                | history | 2026-11-22T10:30:00Z      | 30 | h-20    | 2
            another playbook has its own count                         | other   | 2026-11-22T10:30:00Z      | 30 | decided | 1
            """)
    void historyCountsAsThePlaybookEngineExpects(
            String description,
            String playbook,
            String decidedAt,
            long windowMinutes,
            String decidedId,
            long expected) {
        Instant to = Instant.parse(decidedAt);
        Instant from = to.minus(Duration.ofMinutes(windowMinutes));
        History.InMemory reference = historyOnce();

        long counted = ledger.history().earlierOccurrences(playbook, WEB, from, to, decidedId);

        assertThat(counted).as(description).isEqualTo(expected);
        assertThat(counted)
                .as("the playbook package's in-memory history")
                .isEqualTo(reference.earlierOccurrences(playbook, WEB, from, to, decidedId));
    }

    @Test
    void otherPodsAndNamespacesHaveTheirOwnHistory() {
        historyOnce();
        Instant to = Instant.parse("2026-11-22T10:30:00Z");
        Instant from = to.minus(Duration.ofMinutes(30));

        assertThat(ledger.history().earlierOccurrences("history", OTHER_POD, from, to, "x"))
                .isEqualTo(1);
        assertThat(ledger.history().earlierOccurrences("history", OTHER_NAMESPACE, from, to, "x"))
                .isEqualTo(1);
        assertThat(ledger.history().earlierOccurrences("history", new Target("shop", "nobody", null), from, to, "x"))
                .isZero();
    }

    private static History.InMemory reference;

    /**
     * Playbook "history": web at 10:00, 10:10 (delivered twice) and 10:20, plus one at 10:15 for
     * another pod and one for another namespace; playbook "other" matched 10:20 only.
     */
    private static synchronized History.InMemory historyOnce() {
        if (reference != null) {
            return reference;
        }
        reference = new History.InMemory();
        record Seen(Detection detection, List<String> playbooks) {}
        List<Seen> seen = List.of(
                new Seen(detection("h-00", Instant.parse("2026-11-22T10:00:00Z"), WEB), List.of("history")),
                new Seen(detection("h-10", Instant.parse("2026-11-22T10:10:00Z"), WEB), List.of("history")),
                new Seen(detection("h-10", Instant.parse("2026-11-22T10:10:00Z"), WEB), List.of("history")),
                new Seen(detection("h-20", Instant.parse("2026-11-22T10:20:00Z"), WEB), List.of("history", "other")),
                new Seen(detection("h-pod", Instant.parse("2026-11-22T10:15:00Z"), OTHER_POD), List.of("history")),
                new Seen(
                        detection("h-ns", Instant.parse("2026-11-22T10:15:00Z"), OTHER_NAMESPACE), List.of("history")));
        for (Seen s : seen) {
            ledger.storeDetection(s.detection());
            ledger.recordMatches(s.detection(), s.playbooks());
            reference.record(s.detection(), s.playbooks());
        }
        return reference;
    }

    private static final String OUTBOUND = """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata: {name: ladder}
            spec:
              match:
                sources: [falco]
                rules: ["Outbound Connection to C2 Servers"]
                minSeverity: high
              window: 30m
              stages:
                - {name: cut-connection, after: 1, action: block-connection, approval: auto, expireAfter: 4h}
                - {name: strip-credentials, after: 2, action: revoke-token, approval: auto}
                - {name: isolate, after: 3, action: quarantine-pod, approval: required, approvalTimeout: 15m}
            """;

    /**
     * The intake's steps in one transaction, as the service will run them: store the detection (a
     * duplicate stops here), decide with the ledger's history, record the playbooks that matched.
     */
    @Test
    void theLadderClimbsWithTheLedgersHistory() {
        PlaybookSet set = new PlaybookLoader().parse("ladder.yaml", OUTBOUND);
        assertThat(set.problems()).isEmpty();
        List<Playbook> playbooks = set.playbooks();
        PlaybookEngine engine = new PlaybookEngine(playbooks);
        Target pod = new Target("ladder", "api-0", null);
        Target sibling = new Target("ladder", "api-1", null);
        Instant start = Instant.parse("2026-11-23T08:00:00Z");

        record Event(String id, int minute, Target target) {}
        List<Event> events = List.of(
                new Event("l-0", 0, pod),
                new Event("l-5", 5, pod),
                new Event("l-5", 5, pod), // redelivered: stops at the ledger
                new Event("s-6", 6, sibling),
                new Event("l-10", 10, pod),
                new Event("l-38", 38, pod), // 0 and 5 fell out of the 30m window: 10 remains
                new Event("l-100", 100, pod));
        List<String> stages = new ArrayList<>();
        for (Event event : events) {
            Detection d = detection(event.id(), start.plus(Duration.ofMinutes(event.minute())), event.target());
            stages.add(ledger.inTransaction(() -> {
                if (!ledger.storeDetection(d)) {
                    return event.id() + ": duplicate";
                }
                Decision decision = engine.decide(d, ledger.history());
                ledger.recordMatches(d, decision.matchedPlaybooks());
                return event.id() + ": " + ((Decision.Act) decision).request().stage();
            }));
        }

        assertThat(stages)
                .containsExactly(
                        "l-0: cut-connection",
                        "l-5: strip-credentials",
                        "l-5: duplicate",
                        "s-6: cut-connection",
                        "l-10: isolate",
                        "l-38: strip-credentials",
                        "l-100: cut-connection");
    }

    @Test
    void aRolledBackIntakeLeavesNoTrace() {
        Detection d = detection("rolled-back", T0, WEB);
        try {
            ledger.inTransaction(() -> {
                ledger.storeDetection(d);
                ledger.recordMatches(d, List.of("history"));
                throw new IllegalStateException("the planner crashed");
            });
        } catch (IllegalStateException expected) {
            // the transaction rolled back
        }

        assertThat(ledger.detection("rolled-back")).isEmpty();
        assertThat(ledger.storeDetection(d))
                .as("redelivered after the crash, it is new")
                .isTrue();
    }
}
