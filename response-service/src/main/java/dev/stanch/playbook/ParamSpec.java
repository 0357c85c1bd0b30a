package dev.stanch.playbook;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One parameter an action kind accepts in a stage's {@code params}.
 *
 * @param name the key under {@code params}
 * @param type what values it takes
 * @param allowed for {@link Type#ENUM}, the accepted values
 * @param defaultValue the value when the stage leaves it out
 * @param description one line for the docs and the JSON Schema
 */
public record ParamSpec(
        String name,
        Type type,
        List<String> allowed,
        @Nullable Object defaultValue,
        String description) {

    public enum Type {
        BOOLEAN,
        ENUM
    }

    public ParamSpec {
        allowed = List.copyOf(allowed);
    }

    static ParamSpec bool(String name, boolean defaultValue, String description) {
        return new ParamSpec(name, Type.BOOLEAN, List.of(), defaultValue, description);
    }

    static ParamSpec oneOf(String name, List<String> allowed, String defaultValue, String description) {
        return new ParamSpec(name, Type.ENUM, allowed, defaultValue, description);
    }
}
