package dev.stanch.detection;

import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The event formats the normalizer reads. Each is recognized by keys no other format has; the order
 * of {@link #sniff} matters only where a format could also carry another's keys.
 */
enum EventFormat {
    /** {@code specversion}: a CloudEvent in structured JSON mode. */
    CLOUDEVENT,
    /** a {@code process_*} key: Tetragon's JSON export. */
    TETRAGON,
    /**
     * a {@code target} object and a {@code severity}: Stanch's own schema ({@link DetectionJson}).
     */
    STANCH,
    /** {@code output_fields}, or {@code priority} with {@code rule} (any case): a Falco alert. */
    FALCO,
    /**
     * {@code Operation}, {@code PodName}, {@code NamespaceName}, or {@code Type} with {@code
     * HostName}.
     */
    KUBEARMOR;

    static @Nullable EventFormat sniff(JsonObject event) {
        if (event.values().containsKey("specversion")) {
            return CLOUDEVENT;
        }
        if (TetragonEvents.looksLike(event)) {
            return TETRAGON;
        }
        if (DetectionJson.looksLike(event)) {
            return STANCH;
        }
        if (FalcoEvents.looksLike(event)) {
            return FALCO;
        }
        if (KubeArmorEvents.looksLike(event)) {
            return KUBEARMOR;
        }
        return null;
    }

    /** The CloudEvent {@code type} of Stanch's own schema. */
    static final String STANCH_TYPE = "dev.stanch.detection.v1";

    /**
     * The format a CloudEvent {@code type} names: Stanch's own type, or a type that has a detector's
     * name as one of its dot-separated words ({@code falco.rule.output.v1}, which Falcosidekick
     * sends; {@code io.cilium.tetragon.process_exec}; {@code com.kubearmor.alert}). Null when the
     * type names none: then the data is sniffed.
     */
    static @Nullable EventFormat fromCloudEventType(String type) {
        if (type.equals(STANCH_TYPE)) {
            return STANCH;
        }
        Set<String> words = Set.of(type.toLowerCase(Locale.ROOT).split("[.:/_-]+"));
        if (words.contains("falco")) {
            return FALCO;
        }
        if (words.contains("tetragon")) {
            return TETRAGON;
        }
        if (words.contains("kubearmor")) {
            return KUBEARMOR;
        }
        return null;
    }

    Normalization read(JsonObject event, Context context) {
        return switch (this) {
            case CLOUDEVENT -> CloudEvents.normalize(event, context);
            case TETRAGON -> TetragonEvents.normalize(event, context);
            case STANCH -> new Normalization.Normalized(DetectionJson.fromObject(event, context));
            case FALCO -> FalcoEvents.normalize(event, context);
            case KUBEARMOR -> KubeArmorEvents.normalize(event, context);
        };
    }
}
