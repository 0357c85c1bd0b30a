package dev.stanch.action;

import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** Comparing and naming RBAC subjects. */
final class Subjects {

    private Subjects() {}

    /** True when the subject is this ServiceAccount (the namespace is required for that kind). */
    static boolean isServiceAccount(Subject subject, String namespace, String name) {
        return "ServiceAccount".equals(subject.getKind())
                && name.equals(subject.getName())
                && namespace.equals(subject.getNamespace());
    }

    /** The same subject: kind, name, namespace and API group. */
    static boolean same(Subject a, Subject b) {
        return Objects.equals(a.getKind(), b.getKind())
                && Objects.equals(a.getName(), b.getName())
                && Objects.equals(a.getNamespace(), b.getNamespace())
                && Objects.equals(emptyToNull(a.getApiGroup()), emptyToNull(b.getApiGroup()));
    }

    static String describe(Subject subject) {
        return subject.getKind() + " "
                + (subject.getNamespace() == null ? "" : subject.getNamespace() + "/")
                + subject.getName();
    }

    static String describe(List<Subject> subjects) {
        return subjects.stream().map(Subjects::describe).collect(Collectors.joining(", "));
    }

    private static String emptyToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }
}
