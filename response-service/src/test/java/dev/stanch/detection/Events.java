package dev.stanch.detection;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Normalizing hand-written events in tests, with a fixed clock. */
final class Events {

    static final Instant RECEIVED = Instant.parse("2030-01-02T03:04:05Z");
    static final DetectionNormalizer NORMALIZER = new DetectionNormalizer(Clock.fixed(RECEIVED, ZoneOffset.UTC));

    private Events() {}

    static Detection detection(String json) {
        Normalization normalization = NORMALIZER.normalize(json);
        assertThat(normalization).isInstanceOf(Normalization.Normalized.class);
        return ((Normalization.Normalized) normalization).detection();
    }

    static String rejected(String json) {
        Normalization normalization = NORMALIZER.normalize(json);
        assertThat(normalization).isInstanceOf(Normalization.Rejected.class);
        return ((Normalization.Rejected) normalization).reason();
    }

    static String ignored(String json) {
        Normalization normalization = NORMALIZER.normalize(json);
        assertThat(normalization).isInstanceOf(Normalization.Ignored.class);
        return ((Normalization.Ignored) normalization).reason();
    }

    /** A Falco alert for pod default/web-0 with the given output fields (a JSON object body). */
    static String falco(String outputFields) {
        return """
        {"output": "test", "priority": "Critical", "rule": "Outbound Connection to C2 Servers",
         "time": "2024-05-01T10:00:00.123456789Z", "source": "syscall",
         "output_fields": {"k8s.ns.name": "default", "k8s.pod.name": "web-0", %s}}
        """.formatted(outputFields);
    }
}
