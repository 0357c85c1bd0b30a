package dev.stanch.action;

import java.util.List;
import java.util.Objects;

/**
 * One rule of the ClusterRole Stanch runs with, as an action kind (or the cluster reader) declares
 * it next to its code. The chart's ClusterRole is checked against the union of these rules.
 *
 * @param apiGroup the API group, {@code ""} for the core group
 * @param resource the resource, e.g. {@code pods} or {@code serviceaccounts/token}
 * @param verbs the verbs needed, e.g. {@code get}, {@code patch}
 * @param why what the verbs are used for: the chart's comments and docs/actions.md quote it
 */
public record RbacRule(String apiGroup, String resource, List<String> verbs, String why) {

    public RbacRule {
        Objects.requireNonNull(apiGroup, "apiGroup");
        Objects.requireNonNull(resource, "resource");
        verbs = List.copyOf(verbs);
        Objects.requireNonNull(why, "why");
        if (verbs.isEmpty() || verbs.contains("*") || resource.equals("*") || apiGroup.equals("*")) {
            throw new IllegalArgumentException("an RBAC rule names its group, resource and verbs: " + resource);
        }
    }

    static RbacRule of(String apiGroup, String resource, String verbs, String why) {
        return new RbacRule(apiGroup, resource, List.of(verbs.split(",")), why);
    }
}
