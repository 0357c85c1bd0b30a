package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ActionType;
import dev.stanch.action.ClusterSnapshot;
import dev.stanch.action.PlanInput;
import dev.stanch.action.Planning;
import dev.stanch.action.Safety;
import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The executor on fabric8's mock API server, for what the mock does faithfully: create, read,
 * update with resourceVersion, delete, equality and exists label selectors. What it does not
 * (validation, RBAC, set-based selectors) is proven in ActionsApiServerIT.
 */
@EnableKubernetesMockClient(crud = true)
class ActionExecutorIT {

    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void cluster() {
        server.expect()
                .get()
                .withPath("/version")
                .andReturn(200, Map.of("major", "1", "minor", "20", "gitVersion", "v1.20.2"))
                .always();
        for (String name : new String[] {"shop", "other"}) {
            client.namespaces()
                    .resource(new NamespaceBuilder()
                            .withNewMetadata()
                            .withName(name)
                            .endMetadata()
                            .build())
                    .create();
        }
        pod("shop", "web-1", "10.0.0.11");
        pod("shop", "web-2", "10.0.0.12");
    }

    private void pod(String namespace, String name, String ip) {
        client.pods()
                .inNamespace(namespace)
                .resource(new PodBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withNamespace(namespace)
                        .withUid("uid-" + name)
                        .withLabels(Map.of("app", "web"))
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("main")
                        .withImage("example/web")
                        .endContainer()
                        .endSpec()
                        .withNewStatus()
                        .withPodIP(ip)
                        .endStatus()
                        .build())
                .create();
    }

    private ActionPlan plan(String id, String peerIp) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("granularity", "address");
        params.put("direction", "egress");
        params.put("protocol", "tcp");
        params.put("peerIp", peerIp);
        params.put("peerPort", 4444);
        ActionRequest request = new ActionRequest(
                "outbound-c2",
                "cut",
                1,
                ActionKind.BLOCK_CONNECTION,
                new Target("shop", "web-1", null),
                params,
                Approval.AUTO,
                null,
                OnApprovalTimeout.REJECT,
                null,
                false);
        ClusterSnapshot snapshot = new ClusterReader(client).read("shop");
        Planning planning = ActionType.of(ActionKind.BLOCK_CONNECTION)
                .plan(new PlanInput(id, request, Safety.defaults()), snapshot);
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        return ((Planning.Planned) planning).plan();
    }

    @Test
    void appliesVerifiesAndRollsBackABlockIdempotently() {
        Pod before = client.pods().inNamespace("shop").withName("web-1").get();
        ActionExecutor executor = new ActionExecutor(client);
        ActionPlan plan = plan("x1", "203.0.113.7");
        assertThat(executor.verify(plan)).isNotEmpty();

        ActionExecutor.Outcome first = executor.apply(plan);
        assertThat(first.changed())
                .containsExactly(
                        "relabel Pod shop/web-1: +label block.stanch.dev/x1=true",
                        "create NetworkPolicy shop/stanch-block-x1");
        assertThat(executor.apply(plan).changed()).isEmpty();
        assertThat(executor.verify(plan)).isEmpty();
        assertThat(client.network()
                        .v1()
                        .networkPolicies()
                        .inNamespace("shop")
                        .withName("stanch-block-x1")
                        .get())
                .isNotNull();

        assertThat(executor.rollback(plan).changed()).hasSize(2);
        assertThat(executor.rollback(plan).changed()).isEmpty();
        assertThat(executor.leftovers("x1")).isEmpty();
        Pod after = client.pods().inNamespace("shop").withName("web-1").get();
        assertThat(after.getMetadata().getLabels())
                .isEqualTo(before.getMetadata().getLabels());
        assertThat(client.network()
                        .v1()
                        .networkPolicies()
                        .inNamespace("shop")
                        .list()
                        .getItems())
                .isEmpty();
    }

    @Test
    void twoBlocksOfOnePodAlignTheirPoliciesAndRollBackAlone() {
        ActionExecutor executor = new ActionExecutor(client);
        ActionPlan first = plan("y1", "203.0.113.7");
        executor.apply(first);
        ActionPlan second = plan("y2", "198.51.100.9");
        ActionExecutor.Outcome outcome = executor.apply(second);
        assertThat(outcome.changed())
                .contains("align the other egress block policies of Pod shop/web-1 so that none allows what another"
                        + " cuts");
        assertThat(exceptOf("stanch-block-y1")).containsExactly("198.51.100.9/32", "203.0.113.7/32");
        assertThat(exceptOf("stanch-block-y2")).containsExactly("198.51.100.9/32", "203.0.113.7/32");
        assertThat(executor.verify(first)).isEmpty();
        assertThat(executor.verify(second)).isEmpty();

        executor.rollback(first);
        assertThat(exceptOf("stanch-block-y2")).containsExactly("198.51.100.9/32");
        assertThat(executor.verify(second)).isEmpty();
        assertThat(executor.leftovers("y1")).isEmpty();
        assertThat(executor.leftovers("y2")).hasSize(2);
    }

    @Test
    void leavesAnObjectOfTheSameNameThatIsNotItsOwnAlone() {
        ActionPlan plan = plan("z1", "203.0.113.7");
        client.network()
                .v1()
                .networkPolicies()
                .inNamespace("shop")
                .resource(new NetworkPolicyBuilder()
                        .withNewMetadata()
                        .withName("stanch-block-z1")
                        .withNamespace("shop")
                        .endMetadata()
                        .withNewSpec()
                        .withNewPodSelector()
                        .endPodSelector()
                        .endSpec()
                        .build())
                .create();
        ActionExecutor executor = new ActionExecutor(client);
        assertThatThrownBy(() -> executor.apply(plan))
                .isInstanceOf(KubernetesFailure.class)
                .hasMessageContaining("does not belong to action z1")
                .extracting(e -> ((KubernetesFailure) e).reason())
                .isEqualTo(KubernetesFailure.Reason.CONFLICT);
        assertThatThrownBy(() -> executor.rollback(plan))
                .isInstanceOf(KubernetesFailure.class)
                .hasMessageContaining("left alone");
        assertThat(client.network()
                        .v1()
                        .networkPolicies()
                        .inNamespace("shop")
                        .withName("stanch-block-z1")
                        .get())
                .isNotNull();
    }

    private java.util.List<String> exceptOf(String policy) {
        return client.network()
                .v1()
                .networkPolicies()
                .inNamespace("shop")
                .withName(policy)
                .get()
                .getSpec()
                .getEgress()
                .getFirst()
                .getTo()
                .getFirst()
                .getIpBlock()
                .getExcept();
    }
}
