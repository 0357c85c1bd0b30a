package dev.stanch.detection;

import static dev.stanch.detection.Events.detection;
import static dev.stanch.detection.Events.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Ids: the detector's where there is one, else stable across redelivery. */
class NormalizerIdTest {

    @Test
    void theSameEventReformattedHasTheSameId() {
        // The corpus holds the Talon test event twice: pretty-printed and as Talon's curl body.
        Detection pretty = detection(Corpus.read("falco-events/falco-talon-example-03.json"));
        Detection compact = detection(Corpus.read("falco/talon-examples-test-networkpolicy.json"));
        assertThat(pretty.id()).matches("sha256:[0-9a-f]{64}").isEqualTo(compact.id());
    }

    @Test
    void keyOrderDoesNotChangeTheId() {
        String a = "{\"rule\": \"r\", \"priority\": \"Notice\", \"time\": \"2024-01-01T00:00:00Z\","
                + " \"output_fields\": {\"k8s.ns.name\": \"default\", \"k8s.pod.name\": \"web-0\", \"proc.name\": \"sh\"}}";
        String b =
                "{\"output_fields\": {\"proc.name\": \"sh\", \"k8s.pod.name\": \"web-0\", \"k8s.ns.name\": \"default\"},"
                        + " \"time\": \"2024-01-01T00:00:00Z\", \"priority\": \"Notice\", \"rule\": \"r\"}";
        assertThat(detection(a).id()).isEqualTo(detection(b).id());
    }

    @Test
    void differentEventsHaveDifferentIds() {
        List<String> ids = Corpus.events().stream()
                .map(event -> Events.NORMALIZER.normalize(event.json()))
                .filter(Normalization.Normalized.class::isInstance)
                .map(n -> ((Normalization.Normalized) n).detection().id())
                .toList();
        // exactly one pair of corpus files is the same event (above)
        assertThat(ids.stream().distinct().count()).isEqualTo(ids.size() - 1);
    }

    @Test
    void theHashIsSha256OfTheCanonicalPayload() {
        // {"a":1,"b":[true,null]} — keys sorted, no blanks
        assertThat(JsonValues.canonical(Map.of("b", java.util.Arrays.asList(true, null), "a", 1L)))
                .isEqualTo("{\"a\":1,\"b\":[true,null]}");
        assertThat(JsonValues.hashId(Map.of()))
                .isEqualTo("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    }

    @Test
    void anAbsurdlyLongIdIsRejected() {
        String event = Events.falco("\"proc.name\": \"sh\"")
                .replace("{\"output\"", "{\"uuid\": \"" + "u".repeat(300) + "\", \"output\"");
        assertThat(rejected(event)).startsWith("id: longer than 256 characters");
    }

    @Test
    void oneNormalizerServesManyThreads() throws Exception {
        List<Corpus.Event> events = Corpus.events();
        List<Normalization> expected =
                events.stream().map(e -> Events.NORMALIZER.normalize(e.json())).toList();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<List<Normalization>>> runs = new java.util.ArrayList<>();
            for (int run = 0; run < 16; run++) {
                runs.add(pool.submit(() -> events.stream()
                        .map(e -> Events.NORMALIZER.normalize(e.json()))
                        .toList()));
            }
            for (Future<List<Normalization>> result : runs) {
                assertThat(result.get()).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
