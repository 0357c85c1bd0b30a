package dev.stanch.action;

import java.util.Objects;

/**
 * Whether one part of an action can be undone, said plainly.
 *
 * @param change the part, e.g. "remove sa/web from RoleBinding shop/readers"
 * @param reversible whether rollback undoes it
 * @param note what rollback does, or why it cannot
 */
public record Reversibility(String change, boolean reversible, String note) {

    public Reversibility {
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(note, "note");
    }

    static Reversibility reversible(String change, String note) {
        return new Reversibility(change, true, note);
    }

    static Reversibility irreversible(String change, String note) {
        return new Reversibility(change, false, note);
    }
}
