package dev.stanch.detection;

import static dev.stanch.detection.Events.NORMALIZER;
import static dev.stanch.detection.Events.rejected;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Whatever arrives, the answer is a reason, never an exception. */
class NormalizerUnreadableInputTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "\n\t"})
    void emptyInput(String input) {
        assertThat(rejected(input)).isEqualTo("empty input");
        assertThat(NORMALIZER.normalize(input.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Normalization.Rejected("empty input"));
    }

    @Test
    void nullInput() {
        assertThat(NORMALIZER.normalize((String) null)).isEqualTo(new Normalization.Rejected("empty input"));
        assertThat(NORMALIZER.normalize((byte[]) null)).isEqualTo(new Normalization.Rejected("empty input"));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "[]                 | not an event: expected a JSON object, got an array",
                "[{\"rule\": \"x\"}] | not an event: expected a JSON object, got an array",
                "42                 | not an event: expected a JSON object, got a number",
                "\"falco\"          | not an event: expected a JSON object, got a string",
                "true               | not an event: expected a JSON object, got a boolean",
                "null               | not an event: expected a JSON object, got null",
            })
    void jsonThatIsNotAnObject(String input, String reason) {
        assertThat(rejected(input)).isEqualTo(reason);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "not json",
                "{",
                "{\"rule\": }",
                "{'rule': 'x'}",
                "<event/>",
                "{\"a\": 1} trailing",
                "{\"a\": NaN}",
            })
    void textThatIsNotJson(String input) {
        assertThat(rejected(input)).startsWith("not JSON: ");
    }

    @Test
    void duplicateKeysAreRefused() {
        // A second k8s.ns.name could point a response at a namespace other than the one logged.
        String event = """
        {"priority": "Notice", "rule": "r", "time": "2024-01-01T00:00:00Z",
         "output_fields": {"k8s.ns.name": "default", "k8s.pod.name": "web-0", "k8s.ns.name": "kube-system"}}
        """;
        assertThat(rejected(event)).startsWith("not JSON: Duplicate Object property \"k8s.ns.name\"");
    }

    @Test
    void anObjectOfNoKnownFormat() {
        assertThat(rejected("{}")).startsWith("unrecognized event: not Falco");
        assertThat(rejected("{\"hello\": \"world\"}")).startsWith("unrecognized event");
    }

    @Test
    void invalidUtf8Bytes() {
        byte[] bytes = {'{', '"', 'r', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertThat(NORMALIZER.normalize(bytes))
                .isInstanceOfSatisfying(
                        Normalization.Rejected.class,
                        r -> assertThat(r.reason()).startsWith("not JSON: "));
    }

    @Test
    void absurdNesting() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThat(rejected(deep)).startsWith("not JSON: ");
        String deepObject = "{\"rule\": " + "{\"a\": ".repeat(5_000) + "1" + "}".repeat(5_001);
        assertThat(rejected(deepObject)).startsWith("not JSON: ");
    }

    @Test
    void typesThatAreNotWhatTheFormatSays() {
        assertThat(rejected("{\"output_fields\": [1, 2], \"rule\": \"r\", \"priority\": \"Notice\"}"))
                .isEqualTo("output_fields: expected an object, got '[1, 2]'");
        assertThat(rejected("{\"process_exec\": \"yes\"}")).isEqualTo("process_exec: expected an object, got 'yes'");
        assertThat(rejected("{\"PodName\": [\"a\"], \"NamespaceName\": \"default\", \"Type\": \"MatchedPolicy\"}"))
                .isEqualTo("PodName: expected a string, got '[a]'");
    }

    @Test
    void longValuesAreShortenedInReasons() {
        String pod = "x".repeat(5_000) + "_";
        String reason = rejected("""
            {"priority": "Notice", "rule": "r", "time": "2024-01-01T00:00:00Z",
             "output_fields": {"k8s.ns.name": "default", "k8s.pod.name": "%s"}}
            """.formatted(pod));
        assertThat(reason).startsWith("k8s.pod.name: not a valid pod name").hasSizeLessThan(200);
    }

    /**
     * Every corpus event, cut short and with bytes flipped: each still gets an answer, and none of
     * them comes from the normalizer's last-resort guard (which would mean a bug: an exception
     * escaped a format reader).
     */
    @Test
    void mangledCorpusEventsAreAnsweredWithoutHittingTheGuard() {
        Random random = new Random(20240601);
        List<String> guarded = new ArrayList<>();
        int cases = 0;
        for (Corpus.Event event : Corpus.events()) {
            byte[] original = event.json().getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < 25; i++) {
                byte[] mangled;
                if (i % 2 == 0) {
                    mangled = java.util.Arrays.copyOf(original, random.nextInt(original.length));
                } else {
                    mangled = original.clone();
                    for (int flips = 0; flips < 3; flips++) {
                        mangled[random.nextInt(mangled.length)] = (byte) random.nextInt(256);
                    }
                }
                Normalization normalization = NORMALIZER.normalize(mangled);
                cases++;
                assertThat(normalization).isNotNull();
                if (normalization instanceof Normalization.Rejected r
                        && r.reason().startsWith("could not normalize")) {
                    guarded.add(event.key() + ": " + r.reason());
                }
            }
        }
        assertThat(cases).isGreaterThan(2_000);
        assertThat(guarded).isEmpty();
    }
}
