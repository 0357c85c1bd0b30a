package dev.stanch.netpol;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;

/**
 * A Kubernetes label selector: every {@code matchLabels} pair and every {@code matchExpressions}
 * requirement must hold. The empty selector matches everything.
 *
 * @param matchLabels required key/value pairs
 * @param requirements set-based requirements
 */
record Selector(Map<String, String> matchLabels, List<Requirement> requirements) {

    static final Selector EVERYTHING = new Selector(Map.of(), List.of());

    Selector {
        matchLabels = Map.copyOf(matchLabels);
        requirements = List.copyOf(requirements);
    }

    boolean matches(Map<String, String> labels) {
        for (Map.Entry<String, String> required : matchLabels.entrySet()) {
            if (!required.getValue().equals(labels.get(required.getKey()))) {
                return false;
            }
        }
        for (Requirement requirement : requirements) {
            if (!requirement.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    boolean isEverything() {
        return matchLabels.isEmpty() && requirements.isEmpty();
    }

    /** A fabric8 selector; {@code null} stays for the caller to interpret (absent ≠ empty). */
    static Selector of(LabelSelector selector, String path) {
        Map<String, String> labels = selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels();
        for (Map.Entry<String, String> entry : labels.entrySet()) {
            if (entry.getKey() == null || entry.getValue() == null) {
                throw new InvalidResourceException(path + ".matchLabels: null key or value");
            }
        }
        List<Requirement> requirements = new ArrayList<>();
        List<LabelSelectorRequirement> expressions =
                selector.getMatchExpressions() == null ? List.of() : selector.getMatchExpressions();
        for (int i = 0; i < expressions.size(); i++) {
            LabelSelectorRequirement expression = expressions.get(i);
            requirements.add(Requirement.of(
                    expression.getKey(),
                    expression.getOperator(),
                    expression.getValues(),
                    path + ".matchExpressions[" + i + "]"));
        }
        return new Selector(labels, requirements);
    }

    /** A selector read from a generic map (AdminNetworkPolicy and friends). */
    static Selector fromMap(@Nullable Object value, String path) {
        if (value == null) {
            return EVERYTHING;
        }
        Map<String, Object> map = Generic.map(value, path);
        Map<String, String> labels = new LinkedHashMap<>();
        Object matchLabels = map.get("matchLabels");
        if (matchLabels != null) {
            for (Map.Entry<String, Object> entry :
                    Generic.map(matchLabels, path + ".matchLabels").entrySet()) {
                labels.put(entry.getKey(), Generic.string(entry.getValue(), path + ".matchLabels." + entry.getKey()));
            }
        }
        List<Requirement> requirements = new ArrayList<>();
        Object expressions = map.get("matchExpressions");
        if (expressions != null) {
            List<Object> list = Generic.list(expressions, path + ".matchExpressions");
            for (int i = 0; i < list.size(); i++) {
                String itemPath = path + ".matchExpressions[" + i + "]";
                Map<String, Object> expression = Generic.map(list.get(i), itemPath);
                Object values = expression.get("values");
                List<String> valueList = new ArrayList<>();
                if (values != null) {
                    for (Object item : Generic.list(values, itemPath + ".values")) {
                        valueList.add(Generic.string(item, itemPath + ".values"));
                    }
                }
                requirements.add(Requirement.of(
                        Generic.optionalString(expression.get("key"), itemPath + ".key"),
                        Generic.optionalString(expression.get("operator"), itemPath + ".operator"),
                        valueList,
                        itemPath));
            }
        }
        return new Selector(labels, requirements);
    }

    @Override
    public String toString() {
        if (isEverything()) {
            return "{}";
        }
        StringJoiner joiner = new StringJoiner(",", "{", "}");
        matchLabels.forEach((key, value) -> joiner.add(key + "=" + value));
        requirements.forEach(requirement -> joiner.add(requirement.toString()));
        return joiner.toString();
    }

    /** The four set-based operators of {@code matchExpressions}. */
    enum Operator {
        IN,
        NOT_IN,
        EXISTS,
        DOES_NOT_EXIST
    }

    /**
     * One {@code matchExpressions} entry.
     *
     * @param key the label key
     * @param operator how the label's value is compared
     * @param values the values for {@code In} and {@code NotIn}
     */
    record Requirement(String key, Operator operator, Set<String> values) {

        Requirement {
            values = Set.copyOf(values);
        }

        static Requirement of(
                @Nullable String key, @Nullable String operator, @Nullable List<String> values, String path) {
            if (key == null || key.isEmpty()) {
                throw new InvalidResourceException(path + ": missing key");
            }
            Set<String> valueSet = new LinkedHashSet<>(values == null ? List.of() : values);
            Operator parsed = switch (operator == null ? "" : operator) {
                case "In" -> Operator.IN;
                case "NotIn" -> Operator.NOT_IN;
                case "Exists" -> Operator.EXISTS;
                case "DoesNotExist" -> Operator.DOES_NOT_EXIST;
                default ->
                    throw new InvalidResourceException(
                            path + ": unknown operator '" + operator + "' (In, NotIn, Exists, DoesNotExist)");
            };
            // The API server insists on values for In/NotIn and on none for Exists/DoesNotExist.
            boolean needsValues = parsed == Operator.IN || parsed == Operator.NOT_IN;
            if (needsValues && valueSet.isEmpty()) {
                throw new InvalidResourceException(path + ": operator " + operator + " needs values");
            }
            if (!needsValues && !valueSet.isEmpty()) {
                throw new InvalidResourceException(path + ": operator " + operator + " takes no values");
            }
            return new Requirement(key, parsed, valueSet);
        }

        /** The same requirement on another key (Cilium's keys name namespace labels in their own way). */
        Requirement withKey(String otherKey) {
            return new Requirement(otherKey, operator, values);
        }

        boolean matches(Map<String, String> labels) {
            String value = labels.get(key);
            return switch (operator) {
                case IN -> value != null && values.contains(value);
                // NotIn also matches pods that do not carry the key at all.
                case NOT_IN -> value == null || !values.contains(value);
                case EXISTS -> value != null;
                case DOES_NOT_EXIST -> value == null;
            };
        }

        @Override
        public String toString() {
            return switch (operator) {
                case IN -> key + " in (" + String.join(",", values) + ")";
                case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
                case EXISTS -> key;
                case DOES_NOT_EXIST -> "!" + key;
            };
        }
    }
}
