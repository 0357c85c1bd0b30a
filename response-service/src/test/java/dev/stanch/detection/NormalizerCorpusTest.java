package dev.stanch.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Every event of the shared corpus against its expectation in
 * src/test/resources/detection/expectations/*.yaml: the outcome, and for a detection every value
 * Stanch extracted. A corpus file without an expectation fails, so new corpus files cannot slip
 * through unasserted.
 */
class NormalizerCorpusTest {

    private static final List<String> TABLES = List.of("falco", "tetragon", "kubearmor");
    private static final Instant RECEIVED = Instant.parse("2030-01-02T03:04:05Z");
    private static final DetectionNormalizer NORMALIZER =
            new DetectionNormalizer(Clock.fixed(RECEIVED, ZoneOffset.UTC));

    private static final Set<String> DETECTION_KEYS =
            Set.of("id", "source", "rule", "severity", "time", "target", "connection", "fields");

    @TestFactory
    Stream<DynamicTest> everyCorpusEventMeetsItsExpectation() {
        Map<String, Map<String, Object>> expectations = expectations();
        return Corpus.events().stream()
                .map(event -> DynamicTest.dynamicTest(event.key(), () -> {
                    Map<String, Object> expected = expectations.get(event.key());
                    assertThat(expected)
                            .as(
                                    "no expectation for corpus event %s: add one to"
                                            + " src/test/resources/detection/expectations/",
                                    event.key())
                            .isNotNull();
                    check(event, expected, NORMALIZER.normalize(event.json()));
                }));
    }

    @Test
    void everyExpectationHasItsCorpusEvent() {
        Set<String> events = new TreeSet<>();
        Corpus.events().forEach(event -> events.add(event.key()));
        assertThat(events).as("corpus events").containsAll(expectations().keySet());
    }

    @Test
    void theCorpusHoldsAllThreeOutcomes() {
        // Guards the table itself: a corpus where everything normalizes would test half the code.
        Set<String> outcomes = new TreeSet<>();
        expectations().values().forEach(expected -> outcomes.addAll(expected.keySet()));
        assertThat(outcomes).containsExactly("detection", "ignored", "rejected");
    }

    private static void check(Corpus.Event event, Map<String, Object> expected, Normalization actual) {
        assertThat(expected).as("expectation of %s", event.key()).hasSize(1);
        String outcome = expected.keySet().iterator().next();
        switch (outcome) {
            case "ignored" ->
                assertThat(actual)
                        .as(event.key())
                        .isInstanceOfSatisfying(
                                Normalization.Ignored.class,
                                ignored -> assertThat(ignored.reason()).contains((String) expected.get(outcome)));
            case "rejected" ->
                assertThat(actual)
                        .as(event.key())
                        .isInstanceOfSatisfying(
                                Normalization.Rejected.class,
                                rejected -> assertThat(rejected.reason()).contains((String) expected.get(outcome)));
            case "detection" -> {
                assertThat(actual).as(event.key()).isInstanceOf(Normalization.Normalized.class);
                checkDetection(
                        event.key(), cast(expected.get(outcome)), ((Normalization.Normalized) actual).detection());
            }
            default -> throw new AssertionError(event.key() + ": unknown outcome " + outcome);
        }
    }

    private static void checkDetection(String key, Map<String, Object> expected, Detection actual) {
        assertThat(expected.keySet()).as("keys of the expectation of %s", key).isEqualTo(DETECTION_KEYS);
        SoftAssertions soft = new SoftAssertions();
        String id = (String) expected.get("id");
        if (id.equals("hash")) {
            soft.assertThat(actual.id()).as("%s id", key).matches("sha256:[0-9a-f]{64}");
        } else {
            soft.assertThat(actual.id()).as("%s id", key).isEqualTo(id);
        }
        soft.assertThat(actual.source().wireName()).as("%s source", key).isEqualTo(expected.get("source"));
        soft.assertThat(actual.rule()).as("%s rule", key).isEqualTo(expected.get("rule"));
        soft.assertThat(actual.severity().wireName()).as("%s severity", key).isEqualTo(expected.get("severity"));
        String time = (String) expected.get("time");
        if (time.equals("received")) {
            soft.assertThat(actual.time()).as("%s time", key).isEqualTo(RECEIVED);
            soft.assertThat(actual.fields().get(Draft.ASSUMED))
                    .as("%s assumed", key)
                    .asList()
                    .contains("time");
        } else {
            soft.assertThat(actual.time()).as("%s time", key).isEqualTo(Instant.parse(time));
        }

        Map<String, Object> target = cast(expected.get("target"));
        soft.assertThat(actual.target().namespace()).as("%s namespace", key).isEqualTo(target.get("namespace"));
        soft.assertThat(actual.target().pod()).as("%s pod", key).isEqualTo(target.get("pod"));
        soft.assertThat(actual.target().container()).as("%s container", key).isEqualTo(target.get("container"));

        Map<String, Object> connection = cast(expected.get("connection"));
        if (connection == null) {
            soft.assertThat(actual.connection()).as("%s connection", key).isNull();
        } else {
            soft.assertThat(actual.connection()).as("%s connection", key).isNotNull();
            if (actual.connection() != null) {
                Connection c = actual.connection();
                Map<String, Object> extracted = new LinkedHashMap<>();
                extracted.put("direction", c.direction().wireName());
                extracted.put("protocol", c.protocol());
                extracted.put("peerIp", c.peerIp());
                extracted.put("peerPort", c.peerPort());
                extracted.put("localIp", c.localIp());
                extracted.put("localPort", c.localPort());
                soft.assertThat(extracted).as("%s connection", key).isEqualTo(connection);
            }
        }

        Map<String, Object> fields = cast(expected.get("fields"));
        soft.assertThat(fields).as("%s: assert a field or two", key).isNotEmpty();
        fields.forEach((name, value) -> soft.assertThat(actual.fields())
                .as("%s fields[%s]", key, name)
                .containsEntry(name, JsonValues.freeze(value)));
        soft.assertAll();
    }

    private static Map<String, Map<String, Object>> expectations() {
        Map<String, Map<String, Object>> all = new LinkedHashMap<>();
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        for (String table : TABLES) {
            String resource = "/detection/expectations/" + table + ".yaml";
            try (InputStream in = NormalizerCorpusTest.class.getResourceAsStream(resource)) {
                assertThat(in).as(resource).isNotNull();
                Map<String, Object> entries = new Yaml(options).load(in);
                entries.forEach((key, value) -> {
                    assertThat(all).as("%s is expected in two tables", key).doesNotContainKey(key);
                    all.put(key, cast(value));
                });
            } catch (IOException e) {
                throw new AssertionError(resource, e);
            }
        }
        return all;
    }

    @SuppressWarnings("unchecked")
    private static <T> T cast(Object value) {
        return (T) value;
    }
}
