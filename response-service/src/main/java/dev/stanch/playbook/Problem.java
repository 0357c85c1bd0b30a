package dev.stanch.playbook;

import java.util.Comparator;

/**
 * One finding about a playbook file, located by file, line (1-based) and field path, e.g. {@code
 * playbooks/x.yaml:12: spec.stages[1].action: unknown action "quarantine"}. Errors make a file
 * invalid; warnings point at something legal but probably unintended.
 */
public record Problem(String file, int line, String field, Level level, String message) {

    public enum Level {
        ERROR,
        WARNING
    }

    static final Comparator<Problem> ORDER = Comparator.comparing(Problem::file)
            .thenComparingInt(Problem::line)
            .thenComparing(Problem::field)
            .thenComparing(Problem::message);

    public boolean isError() {
        return level == Level.ERROR;
    }

    /** The {@code file:line: field: message} form, with {@code warning:} before warnings. */
    @Override
    public String toString() {
        String where = field.isEmpty() ? "" : field + ": ";
        String prefix = level == Level.WARNING ? "warning: " : "";
        return file + ":" + line + ": " + prefix + where + message;
    }
}
