package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.action.ActionType;
import dev.stanch.action.ClusterRead;
import dev.stanch.action.RbacRule;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Nothing in the chart's ClusterRole is unused: after every other ApiServerIT class ran the actions
 * as Stanch's account, the API server's audit log shows a request for each declared (group,
 * resource, verb) — except those this 1.20 server cannot show, each named with its reason. Runs last
 * (junit-platform.properties orders classes by {@link Order}).
 */
@Order(Integer.MAX_VALUE)
@ExtendWith(KubeApiServerExtension.class)
class ClusterRoleUsageApiServerIT {

    /** What a 1.20 server with no kubelet and no network plugin cannot exercise, and why. */
    private static final Map<String, String> NOT_SHOWN_HERE = Map.of(
            "/secrets update",
                    "marks legacy tokens with kubernetes.io/legacy-token-invalid-since, which only 1.29+ honours",
            "rbac.authorization.k8s.io/roles bind",
                    "checked by the server inside a binding update (escalation check), never requested on its own",
            "rbac.authorization.k8s.io/clusterroles bind",
                    "checked by the server inside a binding update (escalation check), never requested on its own");

    private final KubeApiServer kube;

    ClusterRoleUsageApiServerIT(KubeApiServer kube) {
        this.kube = kube;
    }

    @Test
    void everyDeclaredRuleWasUsedByTheActions() throws IOException {
        Set<String> used = new TreeSet<>();
        JsonMapper json = JsonMapper.builder().build();
        for (String line : Files.readAllLines(kube.auditLog())) {
            JsonNode event = json.readTree(line);
            JsonNode object = event.path("objectRef");
            if (!StanchIdentity.USER.equals(event.path("user").path("username").asString()) || object.isMissingNode()) {
                continue;
            }
            used.add(object.path("apiGroup").asString("") + "/"
                    + object.path("resource").asString() + " "
                    + event.path("verb").asString());
        }
        assertThat(used)
                .as("requests of %s in %s", StanchIdentity.USER, kube.auditLog())
                .isNotEmpty();

        List<RbacRule> rules = new ArrayList<>(ClusterRead.RBAC);
        ActionType.all().forEach(type -> rules.addAll(type.rbac()));
        Set<String> declared = new TreeSet<>();
        rules.forEach(rule ->
                rule.verbs().forEach(verb -> declared.add(rule.apiGroup() + "/" + rule.resource() + " " + verb)));

        Set<String> unused = new TreeSet<>(declared);
        unused.removeAll(used);
        unused.removeAll(NOT_SHOWN_HERE.keySet());
        assertThat(unused).as("declared rules that no ApiServerIT request used").isEmpty();
        assertThat(declared).as("exceptions name declared rules").containsAll(NOT_SHOWN_HERE.keySet());
    }
}
