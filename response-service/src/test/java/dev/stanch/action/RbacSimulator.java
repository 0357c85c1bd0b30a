package dev.stanch.action;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Carries out a revoke-token plan's steps on a snapshot, by hand, the way {@link Step} documents the
 * executor's behaviour: so that a test can build the cluster "after" a plan (to verify it) and prove
 * that the undo steps restore the bindings exactly.
 */
final class RbacSimulator {

    private RbacSimulator() {}

    /** The subjects of a binding after one step. */
    static List<Subject> apply(Step step, List<Subject> subjects) {
        List<Subject> result = new ArrayList<>(subjects);
        switch (step) {
            case Step.RemoveSubjects remove ->
                result.removeIf(s -> remove.subjects().stream().anyMatch(r -> Subjects.same(r, s)));
            case Step.RestoreSubjects restore -> {
                for (int i = 0; i < restore.subjects().size(); i++) {
                    Subject subject = restore.subjects().get(i);
                    if (result.stream().noneMatch(s -> Subjects.same(s, subject))) {
                        result.add(Math.min(restore.positions().get(i), result.size()), subject);
                    }
                }
            }
            default -> throw new IllegalArgumentException("not a subject step: " + step.describe());
        }
        return result;
    }

    /**
     * The cluster after the steps: bindings edited, Secrets relabelled or deleted, accounts
     * recreated with {@code newUid}.
     */
    static ClusterSnapshot apply(ClusterSnapshot cluster, List<Step> steps, String newUid) {
        List<RoleBinding> roleBindings = new ArrayList<>(cluster.roleBindings());
        List<ClusterRoleBinding> clusterRoleBindings = new ArrayList<>(cluster.clusterRoleBindings());
        List<Secret> secrets = new ArrayList<>(cluster.tokenSecrets());
        List<ServiceAccount> accounts = new ArrayList<>(cluster.serviceAccounts());
        for (Step step : steps) {
            ObjectRef ref = step.object();
            switch (step) {
                case Step.RemoveSubjects s -> editBindings(roleBindings, clusterRoleBindings, ref, step);
                case Step.RestoreSubjects s -> editBindings(roleBindings, clusterRoleBindings, ref, step);
                case Step.Relabel relabel ->
                    secrets.replaceAll(secret -> {
                        if (!is(secret, ref)) {
                            return secret;
                        }
                        Map<String, String> labels = new LinkedHashMap<>(
                                secret.getMetadata().getLabels() == null
                                        ? Map.of()
                                        : secret.getMetadata().getLabels());
                        labels.putAll(relabel.setLabels());
                        relabel.removeLabels().forEach(labels::remove);
                        return secret.toBuilder()
                                .editMetadata()
                                .withLabels(labels)
                                .endMetadata()
                                .build();
                    });
                case Step.Delete delete ->
                    secrets.removeIf(s ->
                            is(s, ref) && delete.uid().equals(s.getMetadata().getUid()));
                case Step.RecreateServiceAccount recreate -> {
                    accounts.removeIf(a ->
                            is(a, ref) && recreate.uid().equals(a.getMetadata().getUid()));
                    accounts.add(recreate.replacement().toBuilder()
                            .editMetadata()
                            .withUid(newUid)
                            .endMetadata()
                            .build());
                }
                default -> throw new IllegalArgumentException("not a revoke-token step: " + step.describe());
            }
        }
        return new ClusterSnapshot(
                cluster.server(),
                cluster.namespaces(),
                cluster.pods(),
                cluster.networkPolicies(),
                cluster.adminPolicies(),
                cluster.workloads(),
                cluster.services(),
                accounts,
                roleBindings,
                clusterRoleBindings,
                secrets);
    }

    private static void editBindings(
            List<RoleBinding> roleBindings, List<ClusterRoleBinding> clusterRoleBindings, ObjectRef ref, Step step) {
        if (ref.kind().equals("RoleBinding")) {
            roleBindings.replaceAll(b -> is(b, ref)
                    ? b.toBuilder().withSubjects(apply(step, b.getSubjects())).build()
                    : b);
        } else {
            clusterRoleBindings.replaceAll(b -> is(b, ref)
                    ? b.toBuilder().withSubjects(apply(step, b.getSubjects())).build()
                    : b);
        }
    }

    private static boolean is(io.fabric8.kubernetes.api.model.HasMetadata object, ObjectRef ref) {
        return ref.kind().equals(object.getKind())
                && Objects.equals(ref.namespace(), object.getMetadata().getNamespace())
                && ref.name().equals(object.getMetadata().getName());
    }
}
