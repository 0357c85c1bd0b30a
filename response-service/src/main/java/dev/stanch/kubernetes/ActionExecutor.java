package dev.stanch.kubernetes;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ActionType;
import dev.stanch.action.BlockPolicies;
import dev.stanch.action.ObjectRef;
import dev.stanch.action.StanchLabels;
import dev.stanch.action.Step;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Carries out a plan's steps through the Kubernetes API, rolls it back with its undo steps, and
 * verifies either against a fresh snapshot. Every step is idempotent (see {@link Step}); every update
 * carries the resourceVersion it read, and a conflict is met by reading again, a few times, never by
 * overwriting.
 */
public final class ActionExecutor {

    private static final int ATTEMPTS = 5;

    private final KubernetesClient client;
    private final Kinds kinds;
    private final ClusterReader reader;

    public ActionExecutor(KubernetesClient client) {
        this.client = client;
        this.kinds = new Kinds(client);
        this.reader = new ClusterReader(client);
    }

    /**
     * What one run of steps did.
     *
     * @param changed the steps that changed something, described
     * @param unchanged the steps that found the cluster as wanted already
     */
    public record Outcome(List<String> changed, List<String> unchanged) {
        public Outcome {
            changed = List.copyOf(changed);
            unchanged = List.copyOf(unchanged);
        }
    }

    /** Carries out the plan's steps in order. */
    public Outcome apply(ActionPlan plan) {
        return run(plan.steps(), plan.actionId());
    }

    /** Carries out the plan's undo steps in order; parts that cannot be undone stay as they are. */
    public Outcome rollback(ActionPlan plan) {
        return run(plan.undo(), plan.actionId());
    }

    /** The problems a fresh snapshot shows with the applied action; empty when it is in effect. */
    public List<String> verify(ActionPlan plan) {
        return ActionType.of(plan.kind()).verify(plan, reader.read(plan.target().namespace()));
    }

    /**
     * What still carries the action's marks after a rollback — its label on created objects, its
     * block, peer or quarantine labels on pods: empty when the rollback left nothing behind. Found by
     * label, so it works from the action id alone, after a crash too.
     */
    public List<String> leftovers(String actionId) {
        List<String> found = new ArrayList<>();
        ClusterReader.call(
                        "list NetworkPolicies of action " + actionId,
                        () -> client.network()
                                .v1()
                                .networkPolicies()
                                .inAnyNamespace()
                                .withLabel(StanchLabels.ACTION_ID, actionId)
                                .list()
                                .getItems())
                .forEach(policy -> found.add(ObjectRef.of(policy).toString()));
        var server = reader.server();
        if (server.hasAdminNetworkPolicy()) {
            adminPoliciesOf(Kinds.ADMIN_NETWORK_POLICY, actionId, found);
        }
        if (server.hasClusterNetworkPolicy()) {
            adminPoliciesOf(Kinds.CLUSTER_NETWORK_POLICY, actionId, found);
        }
        if (server.hasCiliumNetworkPolicy()) {
            ClusterReader.call(
                            "list CiliumNetworkPolicies of action " + actionId,
                            () -> client.genericKubernetesResources(Kinds.CILIUM_NETWORK_POLICY)
                                    .inAnyNamespace()
                                    .withLabel(StanchLabels.ACTION_ID, actionId)
                                    .list()
                                    .getItems())
                    .forEach(policy -> found.add(ObjectRef.of(policy).toString()));
        }
        for (String label : List.of(StanchLabels.blockLabel(actionId), StanchLabels.peerLabel(actionId))) {
            ClusterReader.call(
                            "list pods labelled " + label,
                            () -> client.pods()
                                    .inAnyNamespace()
                                    .withLabel(label)
                                    .list()
                                    .getItems())
                    .forEach(pod -> found.add(ObjectRef.of(pod) + " (label " + label + ")"));
        }
        ClusterReader.call(
                        "list quarantined pods",
                        () -> client.pods()
                                .inAnyNamespace()
                                .withLabel(StanchLabels.QUARANTINE, actionId)
                                .list()
                                .getItems())
                .forEach(pod -> found.add(ObjectRef.of(pod) + " (label " + StanchLabels.QUARANTINE + ")"));
        return found;
    }

    private void adminPoliciesOf(
            io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext kind, String actionId, List<String> found) {
        ClusterReader.call(
                        "list " + kind.getKind() + "s of action " + actionId,
                        () -> client.genericKubernetesResources(kind)
                                .withLabel(StanchLabels.ACTION_ID, actionId)
                                .list()
                                .getItems())
                .forEach(policy -> found.add(ObjectRef.of(policy).toString()));
    }

    private Outcome run(List<Step> steps, String actionId) {
        List<String> changed = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        for (Step step : steps) {
            boolean didChange = switch (step) {
                case Step.Create create -> create(create, actionId);
                case Step.DeleteOwned delete -> deleteOwned(delete);
                case Step.Relabel relabel -> relabel(relabel);
                case Step.RemoveSubjects remove -> editSubjects(remove.object(), remove::applyTo);
                case Step.RestoreSubjects restore -> editSubjects(restore.object(), restore::applyTo);
                case Step.Delete delete -> delete(delete);
                case Step.RecreateServiceAccount recreate -> recreate(recreate);
                case Step.SyncBlockPolicies sync -> sync(sync);
            };
            (didChange ? changed : unchanged).add(step.describe());
        }
        return new Outcome(changed, unchanged);
    }

    private boolean create(Step.Create step, String actionId) {
        HasMetadata manifest = step.manifest();
        ObjectRef ref = step.object();
        HasMetadata existing = get(ref);
        if (existing == null) {
            try {
                kinds.resource(manifest).create();
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw KubernetesFailure.of("create " + ref, e);
                }
                existing = get(ref); // created between our read and our write: by whom?
                if (existing == null) {
                    throw new KubernetesFailure(
                            KubernetesFailure.Reason.TRANSIENT,
                            "create " + ref + ": the name was taken and freed again meanwhile; try again");
                }
            }
        }
        if (existing != null && !actionId.equals(label(existing, StanchLabels.ACTION_ID))) {
            throw new KubernetesFailure(
                    KubernetesFailure.Reason.CONFLICT,
                    "create " + ref + ": an object of that name exists and does not belong to action " + actionId);
        }
        return false;
    }

    private boolean deleteOwned(Step.DeleteOwned step) {
        return deleteIf(step.object(), existing -> {
            if (!step.actionId().equals(label(existing, StanchLabels.ACTION_ID))) {
                throw new KubernetesFailure(
                        KubernetesFailure.Reason.CONFLICT,
                        "delete " + step.object() + ": it does not carry " + StanchLabels.ACTION_ID + "="
                                + step.actionId() + "; left alone");
            }
            return true;
        });
    }

    /**
     * Deletes the object while {@code wanted} says it is the one meant, with the resourceVersion it
     * was read at as the precondition: when anything changed it in between (a controller adding a
     * token reference, say), it is read and judged again — never deleted blind.
     *
     * @return true when this call deleted it; false when it was gone or is not the one meant
     */
    private boolean deleteIf(ObjectRef ref, java.util.function.Predicate<HasMetadata> wanted) {
        for (int attempt = 1; ; attempt++) {
            HasMetadata existing = get(ref);
            if (existing == null || !wanted.test(existing)) {
                return false;
            }
            try {
                kinds.resource(ref)
                        .lockResourceVersion(existing.getMetadata().getResourceVersion())
                        .delete();
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return false;
                }
                if (e.getCode() != 409 || attempt == ATTEMPTS) {
                    throw KubernetesFailure.of("delete " + ref, e);
                }
                sleep(attempt);
            }
        }
    }

    private boolean relabel(Step.Relabel step) {
        return update(step.object(), object -> {
            ObjectMeta metadata = object.getMetadata();
            Map<String, String> labels = step.labelsAfter(metadata.getLabels());
            Map<String, String> annotations = step.annotationsAfter(metadata.getAnnotations());
            if (labels.equals(orEmpty(metadata.getLabels()))
                    && annotations.equals(orEmpty(metadata.getAnnotations()))) {
                return null;
            }
            metadata.setLabels(labels);
            metadata.setAnnotations(annotations);
            return object;
        });
    }

    private boolean editSubjects(ObjectRef ref, UnaryOperator<List<Subject>> edit) {
        return update(ref, object -> {
            List<Subject> subjects = switch (object) {
                case RoleBinding binding -> binding.getSubjects();
                case ClusterRoleBinding binding -> binding.getSubjects();
                default -> throw new KubernetesFailure(KubernetesFailure.Reason.UNSUPPORTED, ref + " is not a binding");
            };
            List<Subject> before = subjects == null ? List.of() : subjects;
            List<Subject> after = edit.apply(before);
            if (after.size() == before.size()) {
                return null; // removing what is gone, or restoring what is there
            }
            switch (object) {
                case RoleBinding binding -> binding.setSubjects(after);
                case ClusterRoleBinding binding -> binding.setSubjects(after);
                default -> throw new IllegalStateException();
            }
            return object;
        });
    }

    private boolean delete(Step.Delete step) {
        // Gone, or a newer object of the same name that this step never meant: nothing to do.
        return deleteIf(
                step.object(),
                existing -> step.uid().equals(existing.getMetadata().getUid()));
    }

    private boolean recreate(Step.RecreateServiceAccount step) {
        HasMetadata existing = get(step.object());
        if (existing != null && !step.uid().equals(existing.getMetadata().getUid())) {
            return false; // recreated already
        }
        if (existing != null) {
            deleteIf(
                    step.object(),
                    current -> step.uid().equals(current.getMetadata().getUid()));
            awaitGone(step.object(), step.uid());
        }
        ServiceAccount replacement = new ServiceAccountBuilder(step.replacement()).build();
        try {
            client.serviceAccounts()
                    .inNamespace(step.object().namespace())
                    .resource(replacement)
                    .create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw KubernetesFailure.of("create " + step.object(), e);
            }
        }
        return true;
    }

    /**
     * Waits (reading, not watching: the role has no watch) until the object of that uid is gone — a
     * finalizer may hold it a moment — so that the new one does not meet a 409.
     */
    private void awaitGone(ObjectRef ref, String uid) {
        for (int attempt = 1; attempt <= 50; attempt++) {
            HasMetadata current = get(ref);
            if (current == null || !uid.equals(current.getMetadata().getUid())) {
                return;
            }
            sleep(Math.min(attempt, 10));
        }
        throw new KubernetesFailure(
                KubernetesFailure.Reason.TRANSIENT, ref + " (uid " + uid + ") is still there after its deletion");
    }

    private boolean sync(Step.SyncBlockPolicies step) {
        boolean changed = false;
        for (int attempt = 1; ; attempt++) {
            List<NetworkPolicy> policies = ClusterReader.call(
                    "list the block policies of " + step.object(),
                    () -> client.network()
                            .v1()
                            .networkPolicies()
                            .inNamespace(step.object().namespace())
                            .withLabel(StanchLabels.MANAGED_BY, StanchLabels.MANAGED_BY_VALUE)
                            .withLabel(StanchLabels.POD_UID, step.podUid())
                            .withLabel(StanchLabels.DIRECTION, step.direction().word())
                            .list()
                            .getItems());
            List<String> flows =
                    policies.stream().map(BlockPolicies::blockedFlowOf).toList();
            try {
                for (NetworkPolicy policy : policies) {
                    NetworkPolicySpec wanted = BlockPolicies.alignedSpec(policy, flows);
                    if (!sameJson(wanted, policy.getSpec())) {
                        policy.setSpec(wanted);
                        client.resource(policy).update();
                        changed = true;
                    }
                }
                return changed;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == ATTEMPTS) {
                    throw KubernetesFailure.of("align the block policies of " + step.object(), e);
                }
                sleep(attempt);
            }
        }
    }

    /**
     * Reads the object, lets {@code change} edit it (null: nothing to change), and writes it back
     * with the resourceVersion it was read at; on a conflict, reads again.
     */
    private boolean update(ObjectRef ref, UnaryOperator<HasMetadata> change) {
        for (int attempt = 1; ; attempt++) {
            HasMetadata current = get(ref);
            if (current == null) {
                throw new KubernetesFailure(KubernetesFailure.Reason.NOT_FOUND, ref + " does not exist");
            }
            HasMetadata changed = change.apply(current);
            if (changed == null) {
                return false;
            }
            try {
                kinds.resource(changed).update();
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == ATTEMPTS) {
                    throw KubernetesFailure.of("update " + ref, e);
                }
                sleep(attempt);
            }
        }
    }

    private HasMetadata get(ObjectRef ref) {
        return ClusterReader.call("read " + ref, () -> kinds.resource(ref).get());
    }

    private boolean sameJson(Object a, Object b) {
        var serialization = client.getKubernetesSerialization();
        return Objects.equals(
                serialization.convertValue(a, HashMap.class), serialization.convertValue(b, HashMap.class));
    }

    private static String label(HasMetadata object, String key) {
        return orEmpty(object.getMetadata().getLabels()).get(key);
    }

    private static Map<String, String> orEmpty(Map<String, String> map) {
        return map == null ? Map.of() : map;
    }

    private static void sleep(int attempt) {
        try {
            Thread.sleep(Duration.ofMillis(20L * attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KubernetesFailure(KubernetesFailure.Reason.TRANSIENT, "interrupted", e);
        }
    }
}
