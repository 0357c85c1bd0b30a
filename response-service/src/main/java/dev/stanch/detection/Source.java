package dev.stanch.detection;

import java.util.Locale;
import java.util.Optional;

/** The detector families Stanch reads. The wire name is the lower-case name. */
public enum Source {
    FALCO,
    TETRAGON,
    KUBEARMOR,
    CLOUDEVENTS;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Source> fromWireName(String name) {
        for (Source source : values()) {
            if (source.wireName().equals(name)) {
                return Optional.of(source);
            }
        }
        return Optional.empty();
    }
}
