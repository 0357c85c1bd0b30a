package dev.stanch.action;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Carries out plan steps on a {@link ClusterSnapshot}, as the executor does on a cluster, so that
 * unit tests can check a plan's effect with the policy engine and its undo round trip without an
 * API server. The executor itself is tested against the real API server (ApiServerIT).
 */
final class ClusterSimulator {

    private ClusterSimulator() {}

    static ClusterSnapshot apply(ClusterSnapshot cluster, List<Step> steps) {
        ClusterSnapshot current = cluster;
        for (Step step : steps) {
            current = apply(current, step);
        }
        return current;
    }

    static ClusterSnapshot apply(ClusterSnapshot c, Step step) {
        return switch (step) {
            case Step.Create create ->
                switch (create.manifest()) {
                    case NetworkPolicy policy ->
                        with(c, plus(c.networkPolicies(), policy), null, null, null, null, null, null);
                    case GenericKubernetesResource policy ->
                        with(c, null, plus(c.adminPolicies(), policy), null, null, null, null, null);
                    default -> throw new IllegalArgumentException("cannot create " + create.object());
                };
            case Step.DeleteOwned delete ->
                with(
                        c,
                        minus(c.networkPolicies(), delete.object()),
                        minus(c.adminPolicies(), delete.object()),
                        null,
                        null,
                        null,
                        null,
                        null);
            case Step.Delete delete ->
                with(c, null, null, null, minus(c.tokenSecrets(), delete.object()), null, null, null);
            case Step.Relabel relabel -> relabel(c, relabel);
            case Step.RemoveSubjects remove ->
                subjects(c, remove.object(), subjects -> {
                    List<Subject> kept = new ArrayList<>(subjects);
                    kept.removeIf(remove::names);
                    return kept;
                });
            case Step.RestoreSubjects restore ->
                subjects(c, restore.object(), subjects -> {
                    List<Subject> restored = new ArrayList<>(subjects);
                    for (int i = 0; i < restore.subjects().size(); i++) {
                        Subject subject = restore.subjects().get(i);
                        if (restored.stream().noneMatch(s -> Step.RemoveSubjects.same(s, subject))) {
                            restored.add(Math.min(restore.positions().get(i), restored.size()), subject);
                        }
                    }
                    return restored;
                });
            case Step.RecreateServiceAccount recreate -> {
                ServiceAccount replacement = new ServiceAccountBuilder(recreate.replacement())
                        .editMetadata()
                        .withUid(UUID.nameUUIDFromBytes(recreate.uid().getBytes())
                                .toString())
                        .endMetadata()
                        .build();
                yield with(
                        c,
                        null,
                        null,
                        null,
                        null,
                        plus(minus(c.serviceAccounts(), recreate.object()), replacement),
                        null,
                        null);
            }
            case Step.SyncBlockPolicies sync -> {
                List<NetworkPolicy> siblings = c.networkPolicies().stream()
                        .filter(p -> p.getMetadata().getLabels() != null
                                && sync.podUid()
                                        .equals(p.getMetadata().getLabels().get(StanchLabels.POD_UID))
                                && sync.direction()
                                        .word()
                                        .equals(p.getMetadata().getLabels().get(StanchLabels.DIRECTION)))
                        .toList();
                List<String> flows =
                        siblings.stream().map(BlockPolicies::blockedFlowOf).toList();
                List<NetworkPolicy> policies = c.networkPolicies().stream()
                        .map(p -> siblings.contains(p)
                                ? new NetworkPolicyBuilder(p)
                                        .withSpec(BlockPolicies.alignedSpec(p, flows))
                                        .build()
                                : p)
                        .toList();
                yield with(c, policies, null, null, null, null, null, null);
            }
        };
    }

    private static ClusterSnapshot relabel(ClusterSnapshot c, Step.Relabel step) {
        UnaryOperator<ObjectMeta> edit = meta -> {
            Map<String, String> labels = new LinkedHashMap<>(meta.getLabels() == null ? Map.of() : meta.getLabels());
            labels.putAll(step.setLabels());
            step.removeLabels().forEach(labels::remove);
            Map<String, String> annotations =
                    new LinkedHashMap<>(meta.getAnnotations() == null ? Map.of() : meta.getAnnotations());
            annotations.putAll(step.setAnnotations());
            step.removeAnnotations().forEach(annotations::remove);
            ObjectMeta copy = new io.fabric8.kubernetes.api.model.ObjectMetaBuilder(meta).build();
            copy.setLabels(labels);
            copy.setAnnotations(annotations.isEmpty() && meta.getAnnotations() == null ? null : annotations);
            return copy;
        };
        return switch (step.object().kind()) {
            case "Pod" ->
                with(
                        c,
                        null,
                        null,
                        c.pods().stream()
                                .map(p -> matches(p, step.object())
                                        ? new PodBuilder(p)
                                                .withMetadata(edit.apply(p.getMetadata()))
                                                .build()
                                        : p)
                                .toList(),
                        null,
                        null,
                        null,
                        null);
            case "Secret" ->
                with(
                        c,
                        null,
                        null,
                        null,
                        c.tokenSecrets().stream()
                                .map(s -> matches(s, step.object())
                                        ? new io.fabric8.kubernetes.api.model.SecretBuilder(s)
                                                .withMetadata(edit.apply(s.getMetadata()))
                                                .build()
                                        : s)
                                .toList(),
                        null,
                        null,
                        null);
            default -> throw new IllegalArgumentException("cannot relabel " + step.object());
        };
    }

    private static ClusterSnapshot subjects(ClusterSnapshot c, ObjectRef ref, UnaryOperator<List<Subject>> edit) {
        List<RoleBinding> roleBindings = c.roleBindings().stream()
                .map(b -> matches(b, ref)
                        ? new RoleBindingBuilder(b)
                                .withSubjects(edit.apply(b.getSubjects()))
                                .build()
                        : b)
                .toList();
        List<ClusterRoleBinding> clusterRoleBindings = c.clusterRoleBindings().stream()
                .map(b -> matches(b, ref)
                        ? new ClusterRoleBindingBuilder(b)
                                .withSubjects(edit.apply(b.getSubjects()))
                                .build()
                        : b)
                .toList();
        return with(c, null, null, null, null, null, roleBindings, clusterRoleBindings);
    }

    private static boolean matches(HasMetadata object, ObjectRef ref) {
        return object.getKind().equals(ref.kind())
                && object.getMetadata().getName().equals(ref.name())
                && java.util.Objects.equals(object.getMetadata().getNamespace(), ref.namespace());
    }

    private static <T extends HasMetadata> List<T> plus(List<T> objects, T object) {
        List<T> result = new ArrayList<>(objects);
        result.add(object);
        return result;
    }

    private static <T extends HasMetadata> List<T> minus(List<T> objects, ObjectRef ref) {
        return objects.stream().filter(o -> !matches(o, ref)).toList();
    }

    private static ClusterSnapshot with(
            ClusterSnapshot c,
            List<NetworkPolicy> networkPolicies,
            List<GenericKubernetesResource> adminPolicies,
            List<Pod> pods,
            List<Secret> secrets,
            List<ServiceAccount> serviceAccounts,
            List<RoleBinding> roleBindings,
            List<ClusterRoleBinding> clusterRoleBindings) {
        return new ClusterSnapshot(
                c.server(),
                c.namespaces(),
                pods == null ? c.pods() : pods,
                networkPolicies == null ? c.networkPolicies() : networkPolicies,
                adminPolicies == null ? c.adminPolicies() : adminPolicies,
                c.workloads(),
                c.services(),
                serviceAccounts == null ? c.serviceAccounts() : serviceAccounts,
                roleBindings == null ? c.roleBindings() : roleBindings,
                clusterRoleBindings == null ? c.clusterRoleBindings() : clusterRoleBindings,
                secrets == null ? c.tokenSecrets() : secrets);
    }
}
