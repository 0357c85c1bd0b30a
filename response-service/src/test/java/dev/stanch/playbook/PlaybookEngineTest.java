package dev.stanch.playbook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.detection.Connection;
import dev.stanch.detection.Detection;
import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import dev.stanch.detection.Target;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlaybookEngineTest {

    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Target POD = new Target("shop", "cart-7d9f-abcde", "cart");
    private static final Connection C2 =
            new Connection(Connection.Direction.EGRESS, "tcp", "203.0.113.7", 443, "10.1.2.3", 50412);

    private final PlaybookLoader loader = new PlaybookLoader();

    private List<Playbook> playbooks(String... documents) {
        PlaybookSet set = loader.parse("test.yaml", String.join("---\n", documents));
        assertThat(set.problems()).isEmpty();
        return set.playbooks();
    }

    private static final String OUTBOUND = """
      apiVersion: stanch.dev/v1alpha1
      kind: Playbook
      metadata: {name: outbound-c2}
      spec:
        match:
          sources: [falco, tetragon]
          rules: ["Outbound Connection to C2 Servers", "Unexpected outbound*"]
          minSeverity: high
          when: 'detection.connection.peerIp != ""'
        window: 30m
        stages:
          - {name: cut-connection, after: 1, action: block-connection, approval: auto, expireAfter: 4h}
          - {name: strip-credentials, after: 2, action: revoke-token, approval: auto}
          - {name: isolate, after: 3, action: quarantine-pod, approval: required, approvalTimeout: 15m}
      """;

    private static Detection detection(String id, Instant time, Severity severity, Connection c) {
        return new Detection(
                id,
                Source.FALCO,
                "Outbound Connection to C2 Servers",
                severity,
                time,
                POD,
                c,
                Map.of("proc.name", "curl", "fd.sport", 50412));
    }

    @Test
    void theLadderClimbsWithTheTargetsOccurrencesInTheWindow() {
        PlaybookEngine engine = new PlaybookEngine(playbooks(OUTBOUND));
        History.InMemory history = new History.InMemory();

        List<String> stages = List.of(0, 5, 10, 20).stream()
                .map(minute -> {
                    Detection d = detection("e" + minute, T0.plus(Duration.ofMinutes(minute)), Severity.HIGH, C2);
                    Decision decision = engine.decide(d, history);
                    history.record(d, decision.matchedPlaybooks());
                    return ((Decision.Act) decision).request().stage();
                })
                .toList();

        assertThat(stages).containsExactly("cut-connection", "strip-credentials", "isolate", "isolate");
    }

    @Test
    void occurrencesOutsideTheWindowOrOfAnotherPodDoNotCount() {
        PlaybookEngine engine = new PlaybookEngine(playbooks(OUTBOUND));
        History.InMemory history = new History.InMemory();
        Detection old = detection("old", T0, Severity.HIGH, C2);
        history.record(old, List.of("outbound-c2"));
        Detection otherPod = new Detection(
                "other",
                Source.FALCO,
                old.rule(),
                Severity.HIGH,
                T0.plusSeconds(60),
                new Target("shop", "cart-7d9f-zzzzz", null),
                C2,
                Map.of());
        history.record(otherPod, List.of("outbound-c2"));

        Decision decision =
                engine.decide(detection("new", T0.plus(Duration.ofMinutes(31)), Severity.HIGH, C2), history);

        ActionRequest request = ((Decision.Act) decision).request();
        assertThat(request.occurrence()).isEqualTo(1);
        assertThat(request.stage()).isEqualTo("cut-connection");
    }

    @Test
    void aRedeliveredDetectionIsNotASecondOccurrence() {
        PlaybookEngine engine = new PlaybookEngine(playbooks(OUTBOUND));
        History.InMemory history = new History.InMemory();
        Detection first = detection("same-id", T0, Severity.HIGH, C2);
        history.record(first, engine.decide(first, history).matchedPlaybooks());
        history.record(first, engine.decide(first, history).matchedPlaybooks());

        Decision again = engine.decide(first, history);

        assertThat(((Decision.Act) again).request().occurrence()).isEqualTo(1);
    }

    @Test
    void resolvesTheActionsParametersFromTheStageAndTheDetection() {
        PlaybookEngine engine = new PlaybookEngine(playbooks(OUTBOUND));

        ActionRequest request =
                ((Decision.Act) engine.decide(detection("e", T0, Severity.CRITICAL, C2), History.empty())).request();

        assertThat(request.kind()).isEqualTo(ActionKind.BLOCK_CONNECTION);
        assertThat(request.target()).isEqualTo(POD);
        assertThat(request.params())
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "granularity", "port",
                        "direction", "egress",
                        "protocol", "tcp",
                        "peerIp", "203.0.113.7",
                        "peerPort", 443,
                        "localPort", 50412));
        assertThat(request.approval()).isEqualTo(Approval.AUTO);
        assertThat(request.expireAfter()).isEqualTo(Duration.ofHours(4));
        assertThat(request.dryRun()).isFalse();
    }

    @Test
    void saysWhyAPlaybookDidNotMatch() {
        PlaybookEngine engine = new PlaybookEngine(playbooks(OUTBOUND));

        assertThat(engine.decide(detection("e", T0, Severity.MEDIUM, C2), History.empty())
                        .misses())
                .containsExactly(new Decision.Miss("outbound-c2", "severity medium is below high"));
        Detection tetragonless = new Detection("k", Source.KUBEARMOR, "x", Severity.HIGH, T0, POD, null, Map.of());
        assertThat(engine.decide(tetragonless, History.empty()).misses())
                .containsExactly(new Decision.Miss("outbound-c2", "source kubearmor is not one of [falco, tetragon]"));
        Detection otherRule =
                new Detection("r", Source.FALCO, "Terminal shell in container", Severity.HIGH, T0, POD, C2, Map.of());
        assertThat(engine.decide(otherRule, History.empty()).misses())
                .containsExactly(new Decision.Miss(
                        "outbound-c2",
                        "rule \"Terminal shell in container\" matches none of [Outbound Connection to C2"
                                + " Servers, Unexpected outbound*]"));
        assertThat(engine.decide(detection("n", T0, Severity.HIGH, null), History.empty())
                        .misses())
                .containsExactly(
                        new Decision.Miss("outbound-c2", "when is false: detection.connection.peerIp != \"\""));
    }

    @Test
    void aStageWhoseActionNeedsAConnectionDoesNotHoldWithoutOne() {
        PlaybookEngine engine = new PlaybookEngine(playbooks("""
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: any}
                spec:
                  match: {rules: ["*"]}
                  stages:
                    - {name: strip, action: revoke-token, approval: auto}
                    - {name: cut, action: block-connection, approval: auto}
                """));

        Decision withFlow = engine.decide(detection("a", T0, Severity.HIGH, C2), History.empty());
        Decision withoutFlow = engine.decide(detection("b", T0, Severity.HIGH, null), History.empty());

        assertThat(((Decision.Act) withFlow).request().stage()).isEqualTo("cut");
        assertThat(((Decision.Act) withoutFlow).request().stage()).isEqualTo("strip");
    }

    @Test
    void stageConditionsSeeTheDetectionAndItsOccurrences() {
        PlaybookEngine engine = new PlaybookEngine(playbooks("""
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: by-process}
                spec:
                  match: {rules: ["*"]}
                  stages:
                    - name: strip
                      action: revoke-token
                      when: detection.fields["proc.name"] == "curl" && occurrences == 1
                    - name: never
                      action: quarantine-pod
                      when: '"missing" in detection.fields && detection.fields["missing"] == 1'
                """));

        Decision decision = engine.decide(detection("a", T0, Severity.HIGH, C2), History.empty());

        assertThat(((Decision.Act) decision).request().stage()).isEqualTo("strip");
    }

    @Test
    void anEvaluationErrorMeansTheConditionDoesNotHoldAndIsReported() {
        PlaybookEngine engine = new PlaybookEngine(playbooks("""
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: fragile}
                spec:
                  match:
                    rules: ["*"]
                    when: detection.fields["absent"] == "x"
                  stages: [{name: a, action: revoke-token}]
                """));

        Decision decision = engine.decide(detection("a", T0, Severity.HIGH, C2), History.empty());

        assertThat(decision).isInstanceOf(Decision.NoAction.class);
        assertThat(decision.misses().getFirst().reason())
                .startsWith("when failed: ")
                .contains("absent");
    }

    @Test
    void theHighestPriorityPlaybookWithAStageThatHoldsActsAndOnlyIt() {
        String specific = """
        apiVersion: stanch.dev/v1alpha1
        kind: Playbook
        metadata: {name: specific}
        spec:
          priority: 10
          match: {rules: ["Outbound*"]}
          stages: [{name: isolate, action: quarantine-pod, approval: auto}]
        """;
        String generic = """
        apiVersion: stanch.dev/v1alpha1
        kind: Playbook
        metadata: {name: a-generic}
        spec:
          match: {rules: ["*"]}
          stages: [{name: strip, action: revoke-token, approval: auto}]
        """;
        PlaybookEngine engine = new PlaybookEngine(playbooks(generic, OUTBOUND, specific));

        Decision decision = engine.decide(detection("e", T0, Severity.HIGH, C2), History.empty());

        Decision.Act act = (Decision.Act) decision;
        assertThat(act.request().playbook()).isEqualTo("specific");
        assertThat(act.matchedPlaybooks()).containsExactly("specific", "a-generic", "outbound-c2");
        assertThat(act.misses())
                .containsExactly(
                        new Decision.Miss("a-generic", "matched, but playbook \"specific\" comes first (priority)"),
                        new Decision.Miss("outbound-c2", "matched, but playbook \"specific\" comes first (priority)"));
    }

    @Test
    void aMatchingPlaybookWithoutAHoldingStageLetsTheNextOneAct() {
        String cutOnly = """
        apiVersion: stanch.dev/v1alpha1
        kind: Playbook
        metadata: {name: cut-only}
        spec:
          priority: 10
          match: {rules: ["*"]}
          stages: [{name: cut, action: block-connection, approval: auto}]
        """;
        String strip = """
        apiVersion: stanch.dev/v1alpha1
        kind: Playbook
        metadata: {name: strip}
        spec:
          match: {rules: ["*"]}
          stages: [{name: strip, action: revoke-token, approval: auto}]
        """;
        PlaybookEngine engine = new PlaybookEngine(playbooks(cutOnly, strip));

        Decision decision = engine.decide(detection("e", T0, Severity.HIGH, null), History.empty());

        assertThat(((Decision.Act) decision).request().playbook()).isEqualTo("strip");
        assertThat(decision.matchedPlaybooks()).containsExactly("cut-only", "strip");
        assertThat(decision.misses())
                .containsExactly(new Decision.Miss(
                        "cut-only",
                        "matched, but no stage holds at occurrence 1: cut (block-connection) needs a" + " connection"));
    }

    @Test
    void dryRunPlaybooksAskForDryRunActions() {
        String dry = """
        apiVersion: stanch.dev/v1alpha1
        kind: Playbook
        metadata: {name: dry}
        spec:
          dryRun: true
          match: {rules: ["*"]}
          stages: [{name: strip, action: revoke-token, approval: auto}]
        """;

        Decision decision =
                new PlaybookEngine(playbooks(dry)).decide(detection("e", T0, Severity.HIGH, C2), History.empty());

        assertThat(((Decision.Act) decision).request().dryRun()).isTrue();
    }

    @Test
    void conditionsCanCompareTheDetectionsTime() {
        PlaybookEngine engine = new PlaybookEngine(playbooks("""
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: office-hours}
                spec:
                  match:
                    rules: ["*"]
                    when: >-
                      detection.time > timestamp("2026-01-01T00:00:00Z")
                      && detection.time.getHours() == 10
                  stages: [{name: a, action: revoke-token}]
                """));

        assertThat(engine.decide(detection("a", T0, Severity.HIGH, C2), History.empty()))
                .isInstanceOf(Decision.Act.class);
        assertThat(engine.decide(detection("b", T0.plus(Duration.ofHours(1)), Severity.HIGH, C2), History.empty())
                        .misses())
                .extracting(Decision.Miss::reason)
                .singleElement()
                .asString()
                .startsWith("when is false");
    }

    @Test
    void occurrencesAreCountedPerPodWhateverContainerTheDetectorNamed() {
        PlaybookEngine engine = new PlaybookEngine(playbooks(OUTBOUND));
        History.InMemory history = new History.InMemory();
        Detection namedContainer = detection("a", T0, Severity.HIGH, C2);
        history.record(namedContainer, engine.decide(namedContainer, history).matchedPlaybooks());
        Detection noContainer = new Detection(
                "b",
                Source.TETRAGON,
                "Outbound Connection to C2 Servers",
                Severity.HIGH,
                T0.plusSeconds(30),
                new Target(POD.namespace(), POD.pod(), null),
                C2,
                Map.of());

        Decision decision = engine.decide(noContainer, history);

        assertThat(((Decision.Act) decision).request().occurrence()).isEqualTo(2);
    }

    @Test
    void aDryRunPlaybookNeverSilencesALiveOne() {
        String trial = """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: trial}
                spec:
                  priority: 1000
                  dryRun: true
                  match: {rules: ["*"]}
                  stages: [{name: isolate, action: quarantine-pod, approval: auto}]
                """;
        PlaybookEngine engine = new PlaybookEngine(playbooks(trial, OUTBOUND));

        Decision decision = engine.decide(detection("e", T0, Severity.HIGH, C2), History.empty());

        assertThat(((Decision.Act) decision).request().playbook()).isEqualTo("outbound-c2");
        assertThat(decision.matchedPlaybooks()).containsExactly("outbound-c2", "trial");
    }

    @Test
    void fieldsOfEveryJsonShapeAreUsableInConditions() {
        PlaybookEngine engine = new PlaybookEngine(playbooks("""
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: shapes}
                spec:
                  match:
                    rules: ["*"]
                    when: >-
                      detection.fields["unset"] == null
                      && detection.fields["nested"]["port"] == 443
                      && detection.fields["list"][1] == "b"
                      && detection.fields["ratio"] > 0.5
                      && detection.fields["huge"] > 1.0e19
                  stages: [{name: a, action: revoke-token}]
                """));
        Map<String, Object> fields = new java.util.HashMap<>();
        fields.put("unset", null);
        fields.put("nested", Map.of("port", 443));
        fields.put("list", List.of("a", "b"));
        fields.put("ratio", 0.75);
        fields.put("huge", new java.math.BigInteger("18446744073709551615"));
        Detection detection = new Detection("f", Source.FALCO, "any", Severity.HIGH, T0, POD, null, fields);

        Decision decision = engine.decide(detection, History.empty());

        assertThat(decision).as("%s", decision.misses()).isInstanceOf(Decision.Act.class);
    }
}
