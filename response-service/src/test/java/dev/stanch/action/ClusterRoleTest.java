package dev.stanch.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart's ClusterRole is exactly what the code declares — the cluster reader's rules and each
 * action kind's — merged per API group and resource: nothing missing (the real API server proves
 * the role is enough in ActionsApiServerIT), nothing unused, no wildcard.
 *
 * <p>The rules section is generated: run this test with {@code -Dstanch.write-chart=true} to write
 * it after changing a kind's rules.
 */
class ClusterRoleTest {

    static final Path CLUSTER_ROLE =
            Path.of(System.getProperty("stanch.repo", "..")).resolve("helm/stanch/templates/clusterrole.yaml");

    private static final String MARKER = "rules:\n";

    /** (apiGroup, resource) → verbs and reasons, merged from every declaration. */
    static Map<String, Map<String, Merged>> declared() {
        List<RbacRule> rules = new ArrayList<>(ClusterRead.RBAC);
        ActionType.all().forEach(type -> rules.addAll(type.rbac()));
        Map<String, Map<String, Merged>> merged = new TreeMap<>();
        for (RbacRule rule : rules) {
            Merged entry = merged.computeIfAbsent(rule.apiGroup(), g -> new TreeMap<>())
                    .computeIfAbsent(rule.resource(), r -> new Merged(new TreeSet<>(), new LinkedHashSet<>()));
            entry.verbs.addAll(rule.verbs());
            entry.why.add(rule.why());
        }
        return merged;
    }

    /**
     * One resource's verbs and the reasons for them.
     *
     * @param verbs the verbs
     * @param why the reasons
     */
    record Merged(TreeSet<String> verbs, Set<String> why) {}

    static String rulesSection() {
        StringBuilder text = new StringBuilder(MARKER);
        declared()
                .forEach((group, resources) -> resources.forEach((resource, merged) -> {
                    merged.why.forEach(why -> text.append("  # ")
                            .append(resource)
                            .append(": ")
                            .append(why)
                            .append('\n'));
                    text.append("  - apiGroups: [\"").append(group).append("\"]\n");
                    text.append("    resources: [").append(resource).append("]\n");
                    text.append("    verbs: [")
                            .append(String.join(", ", merged.verbs))
                            .append("]\n");
                }));
        return text.toString();
    }

    @Test
    void theChartsClusterRoleIsExactlyTheDeclaredRules() throws IOException {
        String file = Files.readString(CLUSTER_ROLE);
        int at = file.indexOf(MARKER);
        assertThat(at).as("a rules: section in %s", CLUSTER_ROLE).isPositive();
        String expected = rulesSection();
        if (!file.substring(at).equals(expected) && Boolean.getBoolean("stanch.write-chart")) {
            Files.writeString(CLUSTER_ROLE, file.substring(0, at) + expected);
            file = Files.readString(CLUSTER_ROLE);
        }
        assertThat(file.substring(at))
                .as("the rules of %s (regenerate with -Dstanch.write-chart=true)", CLUSTER_ROLE)
                .isEqualTo(expected);
    }

    @Test
    void theClusterRoleHasNoWildcardAndNoRuleTwice() throws IOException {
        String rendered = Files.readString(CLUSTER_ROLE).replaceAll("\\{\\{[^}]*}}", "test");
        Map<String, Object> role = new Yaml().load(rendered);
        assertThat(role).containsEntry("kind", "ClusterRole");
        @SuppressWarnings("unchecked")
        List<Map<String, List<String>>> rules = (List<Map<String, List<String>>>) role.get("rules");
        Set<String> seen = new TreeSet<>();
        int count = 0;
        for (Map<String, List<String>> rule : rules) {
            assertThat(rule).containsOnlyKeys("apiGroups", "resources", "verbs");
            for (List<String> values : rule.values()) {
                assertThat(values).doesNotContain("*").isNotEmpty();
            }
            for (String group : rule.get("apiGroups")) {
                for (String resource : rule.get("resources")) {
                    assertThat(seen.add(group + "/" + resource))
                            .as("%s/%s listed once", group, resource)
                            .isTrue();
                    count++;
                }
            }
        }
        int declared = declared().values().stream().mapToInt(Map::size).sum();
        assertThat(count).isEqualTo(declared);
    }
}
