package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ActionType;
import dev.stanch.action.ClusterSnapshot;
import dev.stanch.action.ObjectRef;
import dev.stanch.action.PlanInput;
import dev.stanch.action.Planning;
import dev.stanch.action.Safety;
import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The cluster cache on a real kube-apiserver (1.20), as Stanch's service account: its snapshots
 * equal direct reads through creates, updates and deletes; reads before it has synced, or with an
 * informer stopped, fail transiently; verification after an apply waits until the cache shows the
 * apply's writes, and falls back to a direct read where the cache cannot show them.
 */
@ExtendWith(KubeApiServerExtension.class)
class ClusterCacheApiServerIT {

    private final KubernetesClient admin;
    private final KubernetesClient stanch;
    private final String namespace;
    private final ClusterCache cache;

    ClusterCacheApiServerIT(KubeApiServer kube) {
        this.admin = kube.admin();
        this.stanch = StanchIdentity.of(kube).client();
        this.namespace = kube.createNamespace("cache");
        ClusterFixtures.runningPod(admin, namespace, "web-1", "10.7.0.11", Map.of("app", "web"));
        ClusterFixtures.runningPod(admin, namespace, "web-2", "10.7.0.12", Map.of("app", "web"));
        this.cache = new ClusterCache(stanch).start();
    }

    @AfterEach
    void cleanUp() {
        cache.close();
        admin.namespaces().withName(namespace).delete();
    }

    private ClusterSnapshot cachedEqualsDirect() {
        return CachedSnapshots.readEqual(new ClusterReader(stanch, cache), new ClusterReader(stanch), namespace);
    }

    @Test
    void theCachedSnapshotEqualsADirectReadThroughCreatesUpdatesAndDeletes() {
        ClusterSnapshot first = cachedEqualsDirect();
        assertThat(first.pods()).extracting(pod -> pod.getMetadata().getName()).contains("web-1", "web-2");

        ClusterFixtures.webEgressToC2(admin, namespace);
        admin.serviceAccounts()
                .inNamespace(namespace)
                .resource(new ServiceAccountBuilder()
                        .withNewMetadata()
                        .withName("web")
                        .endMetadata()
                        .build())
                .create();
        admin.services()
                .inNamespace(namespace)
                .resource(new ServiceBuilder()
                        .withNewMetadata()
                        .withName("web")
                        .endMetadata()
                        .withNewSpec()
                        .withSelector(Map.of("app", "web"))
                        .addNewPort()
                        .withPort(80)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
        admin.rbac()
                .roleBindings()
                .inNamespace(namespace)
                .resource(new RoleBindingBuilder()
                        .withNewMetadata()
                        .withName("web-view")
                        .endMetadata()
                        .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "view")
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName("web")
                        .withNamespace(namespace)
                        .endSubject()
                        .build())
                .create();
        admin.apps()
                .replicaSets()
                .inNamespace(namespace)
                .resource(new ReplicaSetBuilder()
                        .withNewMetadata()
                        .withName("worker")
                        .endMetadata()
                        .withNewSpec()
                        .withReplicas(0) // selects no pod: the ReplicaSet controller leaves web-1 alone
                        .withNewSelector()
                        .withMatchLabels(Map.of("app", "worker"))
                        .endSelector()
                        .withNewTemplate()
                        .withNewMetadata()
                        .withLabels(Map.of("app", "worker"))
                        .endMetadata()
                        .withNewSpec()
                        .addNewContainer()
                        .withName("main")
                        .withImage("example/web")
                        .endContainer()
                        .endSpec()
                        .endTemplate()
                        .endSpec()
                        .build())
                .create();
        ClusterSnapshot created = cachedEqualsDirect();
        assertThat(created.networkPolicies())
                .extracting(p -> p.getMetadata().getName())
                .contains("web-egress");
        assertThat(created.services())
                .extracting(s -> s.getMetadata().getName())
                .containsExactly("web");
        assertThat(created.workloads())
                .extracting(w -> w.getMetadata().getName())
                .containsExactly("worker");
        assertThat(created.serviceAccounts())
                .extracting(a -> a.getMetadata().getName())
                .contains("web");
        assertThat(created.roleBindings())
                .extracting(b -> b.getMetadata().getName())
                .contains("web-view");

        admin.pods().inNamespace(namespace).withName("web-1").edit(pod -> {
            pod.getMetadata().getLabels().put("tier", "front");
            return pod;
        });
        admin.network()
                .v1()
                .networkPolicies()
                .inNamespace(namespace)
                .withName("web-egress")
                .delete();
        admin.rbac().roleBindings().inNamespace(namespace).withName("web-view").delete();
        ClusterSnapshot changed = cachedEqualsDirect();
        assertThat(changed.pods())
                .filteredOn(pod -> pod.getMetadata().getNamespace().equals(namespace)
                        && pod.getMetadata().getName().equals("web-1"))
                .singleElement()
                .satisfies(pod -> assertThat(pod.getMetadata().getLabels()).containsEntry("tier", "front"));
        assertThat(changed.networkPolicies())
                .extracting(p -> p.getMetadata().getNamespace())
                .doesNotContain(namespace);
        assertThat(changed.roleBindings())
                .extracting(b -> b.getMetadata().getName())
                .doesNotContain("web-view");
    }

    @Test
    void readsFailTransientlyBeforeTheCacheHasSyncedAndWhileAnInformerIsStopped() {
        try (ClusterCache unstarted = new ClusterCache(stanch)) {
            assertThat(unstarted.synced()).isFalse();
            assertTransient(() -> new ClusterReader(stanch, unstarted).read(namespace));
        }
        // An API server that is not there: the informers keep trying, reads keep failing transiently.
        try (KubernetesClient nowhere = new KubernetesClientBuilder()
                        .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder()
                                .withMasterUrl("https://127.0.0.1:1")
                                .withRequestRetryBackoffLimit(0)
                                .build())
                        .build();
                ClusterCache away = new ClusterCache(nowhere).start()) {
            assertThat(away.synced()).isFalse();
            assertTransient(() -> new ClusterReader(nowhere, away).read(namespace));
        }

        cachedEqualsDirect();
        assertThat(cache.synced()).isTrue();
        cache.stopInformer("Pod");
        assertThat(cache.synced()).isFalse();
        assertTransient(() -> new ClusterReader(stanch, cache).read(namespace));
    }

    @Test
    void verificationAfterAnApplyWaitsForTheCacheToShowTheWritesAndPasses() {
        ActionExecutor executor = new ActionExecutor(stanch, cache);
        ActionPlan plan = planBlock("c1", cachedEqualsDirect());
        assertThat(executor.verify(plan)).as("nothing applied yet").isNotEmpty();
        assertThat(executor.lastVerifiedFrom())
                .as("no apply remembered: a direct read")
                .isEqualTo(ActionExecutor.SnapshotSource.DIRECT);

        assertThat(executor.apply(plan).changed()).hasSize(2);
        List<ClusterCache.Expectation> written = executor.remembered("c1");
        assertThat(written)
                .as("the pod relabelled, the policy created (and found again by the alignment of block policies)")
                .extracting(expectation -> expectation.ref().kind())
                .containsExactly("Pod", "NetworkPolicy", "NetworkPolicy");
        String policyVersion = admin.network()
                .v1()
                .networkPolicies()
                .inNamespace(namespace)
                .withName("stanch-block-c1")
                .get()
                .getMetadata()
                .getResourceVersion();
        assertThat(written.get(1))
                .isEqualTo(new ClusterCache.Expectation.Seen(
                        new ObjectRef("networking.k8s.io/v1", "NetworkPolicy", namespace, "stanch-block-c1"),
                        policyVersion));

        assertThat(executor.verify(plan))
                .as("verified from the cache once it shows the writes")
                .isEmpty();
        assertThat(executor.lastVerifiedFrom())
                .as("judged from the cache, not from the fallback's direct read")
                .isEqualTo(ActionExecutor.SnapshotSource.CACHE);
        assertThat(cache.awaitSeen(written, Duration.ZERO)).isEqualTo(ClusterCache.Wait.SEEN);
        assertThat(executor.remembered("c1")).as("forgotten once verified").isNull();

        executor.rollback(plan);
        assertThat(executor.leftovers("c1")).isEmpty();
    }

    @Test
    void aCacheThatCannotShowTheWritesIsNotJudgedFrom() {
        ActionPlan plan = planBlock("c2", cachedEqualsDirect());
        // The pod and policy informers stop before the apply: their stores never see its writes,
        // so judging from them would find the block missing. The executor reads directly instead.
        cache.stopInformer("Pod");
        cache.stopInformer("NetworkPolicy");
        ActionExecutor executor = new ActionExecutor(stanch, cache);
        executor.apply(plan);
        assertThat(cache.awaitSeen(executor.remembered("c2"), Duration.ZERO)).isEqualTo(ClusterCache.Wait.NOT_READY);
        assertThat(executor.verify(plan)).isEmpty();
        assertThat(executor.lastVerifiedFrom()).isEqualTo(ActionExecutor.SnapshotSource.DIRECT);
        executor.rollback(plan);
        assertThat(executor.leftovers("c2")).isEmpty();
    }

    @Test
    void versionsTheCacheNeverReachesTimeOutOpaqueOnesCannotBeOrderedAndAnImpatientVerifyIsStillRight() {
        ClusterSnapshot snapshot = cachedEqualsDirect();
        ObjectRef web1 = ObjectRef.pod(namespace, "web-1");
        String version = snapshot.pods().stream()
                .filter(pod -> pod.getMetadata().getName().equals("web-1"))
                .findFirst()
                .orElseThrow()
                .getMetadata()
                .getResourceVersion();
        assertThat(cache.awaitSeen(List.of(new ClusterCache.Expectation.Seen(web1, version)), Duration.ZERO))
                .isEqualTo(ClusterCache.Wait.SEEN);
        assertThat(cache.awaitSeen(
                        List.of(new ClusterCache.Expectation.Seen(web1, String.valueOf(Long.MAX_VALUE))),
                        Duration.ofMillis(200)))
                .as("a version the cache never reaches")
                .isEqualTo(ClusterCache.Wait.TIMED_OUT);
        assertThat(cache.awaitSeen(
                        List.of(new ClusterCache.Expectation.Seen(web1, "opaque-v7")), Duration.ofMillis(200)))
                .as("opaque resourceVersions have no order")
                .isEqualTo(ClusterCache.Wait.UNCOMPARABLE);

        // An executor that does not wait verifies right either way: from the cache when its informers
        // happen to have delivered the apply's writes already, from a direct read when not. Which
        // one is a race here (seen both ways); the fallback itself is asserted where the informers
        // are stopped.
        ActionExecutor impatient = new ActionExecutor(stanch, cache, Duration.ZERO);
        ActionPlan plan = planBlock("c3", snapshot);
        impatient.apply(plan);
        assertThat(impatient.verify(plan)).isEmpty();
        assertThat(impatient.lastVerifiedFrom()).isNotNull();
        impatient.rollback(plan);
        assertThat(impatient.leftovers("c3")).isEmpty();
    }

    private ActionPlan planBlock(String id, ClusterSnapshot snapshot) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("granularity", "port");
        params.put("direction", "egress");
        params.put("protocol", "tcp");
        params.put("peerIp", "203.0.113.7");
        params.put("peerPort", 4444);
        ActionRequest request = new ActionRequest(
                "it",
                "stage",
                1,
                ActionKind.BLOCK_CONNECTION,
                new Target(namespace, "web-1", null),
                params,
                Approval.AUTO,
                null,
                OnApprovalTimeout.REJECT,
                null,
                false);
        Planning planning = ActionType.of(ActionKind.BLOCK_CONNECTION)
                .plan(new PlanInput(id, request, Safety.defaults()), snapshot);
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        return ((Planning.Planned) planning).plan();
    }

    private static void assertTransient(Runnable read) {
        assertThatThrownBy(read::run)
                .isInstanceOfSatisfying(
                        KubernetesFailure.class,
                        failure -> assertThat(failure.reason()).isEqualTo(KubernetesFailure.Reason.TRANSIENT));
    }
}
