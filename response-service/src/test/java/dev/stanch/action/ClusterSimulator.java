package dev.stanch.action;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Carries out plan steps on a {@link ClusterSnapshot}, the way {@link Step} documents the executor,
 * so that unit tests can check a plan's effect with the policy engine and its undo round trip
 * without an API server. The executor itself runs against the real API server (ActionsApiServerIT).
 */
final class ClusterSimulator {

    private ClusterSimulator() {}

    static ClusterSnapshot apply(ClusterSnapshot cluster, List<Step> steps) {
        return apply(cluster, steps, null);
    }

    /** The cluster after the steps; a recreated ServiceAccount gets {@code newUid} (else one derived). */
    static ClusterSnapshot apply(ClusterSnapshot cluster, List<Step> steps, @Nullable String newUid) {
        ClusterSnapshot current = cluster;
        for (Step step : steps) {
            current = apply(current, step, newUid);
        }
        return current;
    }

    private static ClusterSnapshot apply(ClusterSnapshot c, Step step, @Nullable String newUid) {
        Edit edit = new Edit(c);
        switch (step) {
            case Step.Create create -> {
                switch (create.manifest()) {
                    case NetworkPolicy policy -> edit.networkPolicies.add(policy);
                    case GenericKubernetesResource policy
                    when CiliumPolicies.KIND.equals(policy.getKind()) -> edit.ciliumPolicies.add(policy);
                    case GenericKubernetesResource policy -> edit.adminPolicies.add(policy);
                    default -> throw new IllegalArgumentException("cannot create " + create.object());
                }
            }
            case Step.DeleteOwned delete -> {
                edit.networkPolicies.removeIf(p -> matches(p, delete.object()));
                edit.adminPolicies.removeIf(p -> matches(p, delete.object()));
                edit.ciliumPolicies.removeIf(p -> matches(p, delete.object()));
            }
            case Step.Delete delete ->
                edit.secrets.removeIf(s -> matches(s, delete.object())
                        && delete.uid().equals(s.getMetadata().getUid()));
            case Step.Relabel relabel -> {
                edit.pods.replaceAll(p -> matches(p, relabel.object())
                        ? new PodBuilder(p)
                                .withMetadata(relabelled(p.getMetadata(), relabel))
                                .build()
                        : p);
                edit.secrets.replaceAll(s -> matches(s, relabel.object())
                        ? new SecretBuilder(s)
                                .withMetadata(relabelled(s.getMetadata(), relabel))
                                .build()
                        : s);
            }
            case Step.RemoveSubjects remove -> edit.subjects(remove.object(), remove::applyTo);
            case Step.RestoreSubjects restore -> edit.subjects(restore.object(), restore::applyTo);
            case Step.RecreateServiceAccount recreate -> {
                edit.accounts.removeIf(a -> matches(a, recreate.object())
                        && recreate.uid().equals(a.getMetadata().getUid()));
                edit.accounts.add(new ServiceAccountBuilder(recreate.replacement())
                        .editMetadata()
                        .withUid(
                                newUid != null
                                        ? newUid
                                        : UUID.nameUUIDFromBytes(recreate.uid().getBytes())
                                                .toString())
                        .endMetadata()
                        .build());
            }
            case Step.SyncBlockPolicies sync -> {
                List<NetworkPolicy> siblings = edit.networkPolicies.stream()
                        .filter(p -> p.getMetadata().getLabels() != null
                                && sync.podUid()
                                        .equals(p.getMetadata().getLabels().get(StanchLabels.POD_UID))
                                && sync.direction()
                                        .word()
                                        .equals(p.getMetadata().getLabels().get(StanchLabels.DIRECTION)))
                        .toList();
                List<String> flows =
                        siblings.stream().map(BlockPolicies::blockedFlowOf).toList();
                edit.networkPolicies.replaceAll(p -> siblings.contains(p)
                        ? new NetworkPolicyBuilder(p)
                                .withSpec(BlockPolicies.alignedSpec(p, flows))
                                .build()
                        : p);
            }
        }
        return edit.snapshot();
    }

    private static ObjectMeta relabelled(ObjectMeta meta, Step.Relabel step) {
        ObjectMeta copy = new ObjectMetaBuilder(meta).build();
        copy.setLabels(step.labelsAfter(meta.getLabels()));
        Map<String, String> annotations = step.annotationsAfter(meta.getAnnotations());
        // An object that had no annotations and gets none back compares equal to its pre-image.
        copy.setAnnotations(annotations.isEmpty() && meta.getAnnotations() == null ? null : annotations);
        return copy;
    }

    private static boolean matches(HasMetadata object, ObjectRef ref) {
        return object.getKind().equals(ref.kind())
                && object.getMetadata().getName().equals(ref.name())
                && Objects.equals(object.getMetadata().getNamespace(), ref.namespace());
    }

    /** Mutable copies of the snapshot's lists. */
    private static final class Edit {
        final ClusterSnapshot c;
        final List<NetworkPolicy> networkPolicies;
        final List<GenericKubernetesResource> adminPolicies;
        final List<GenericKubernetesResource> ciliumPolicies;
        final List<Pod> pods;
        final List<Secret> secrets;
        final List<ServiceAccount> accounts;
        final List<RoleBinding> roleBindings;
        final List<ClusterRoleBinding> clusterRoleBindings;

        Edit(ClusterSnapshot c) {
            this.c = c;
            networkPolicies = new ArrayList<>(c.networkPolicies());
            adminPolicies = new ArrayList<>(c.adminPolicies());
            ciliumPolicies = new ArrayList<>(c.ciliumPolicies());
            pods = new ArrayList<>(c.pods());
            secrets = new ArrayList<>(c.tokenSecrets());
            accounts = new ArrayList<>(c.serviceAccounts());
            roleBindings = new ArrayList<>(c.roleBindings());
            clusterRoleBindings = new ArrayList<>(c.clusterRoleBindings());
        }

        void subjects(ObjectRef ref, UnaryOperator<List<Subject>> edit) {
            roleBindings.replaceAll(b -> matches(b, ref)
                    ? new RoleBindingBuilder(b)
                            .withSubjects(edit.apply(b.getSubjects()))
                            .build()
                    : b);
            clusterRoleBindings.replaceAll(b -> matches(b, ref)
                    ? new ClusterRoleBindingBuilder(b)
                            .withSubjects(edit.apply(b.getSubjects()))
                            .build()
                    : b);
        }

        ClusterSnapshot snapshot() {
            return new ClusterSnapshot(
                    c.server(),
                    c.namespaces(),
                    pods,
                    networkPolicies,
                    adminPolicies,
                    ciliumPolicies,
                    c.workloads(),
                    c.services(),
                    accounts,
                    roleBindings,
                    clusterRoleBindings,
                    secrets);
        }
    }
}
