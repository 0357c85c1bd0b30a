package dev.stanch.kubernetes;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ActionType;
import dev.stanch.action.BlockPolicies;
import dev.stanch.action.ClusterSnapshot;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a plan's steps through the Kubernetes API, rolls it back with its undo steps, and
 * verifies either against a fresh snapshot. Every step is idempotent (see {@link Step}); every update
 * carries the resourceVersion it read, and a conflict is met by reading again, a few times, never by
 * overwriting.
 *
 * <p>The steps always read what they change from the API server, never from the {@link
 * ClusterCache}: a plan computed from a cache a few milliseconds behind is safe, because a step that
 * finds the object changed meanwhile either finds it as wanted already, or writes with the
 * resourceVersion it has just read and reads again on a 409.
 *
 * <p>Verification with a cache reads your writes: {@link #apply} remembers, per action, the
 * resourceVersion of every cached object its steps created, updated or found as wanted, and the uid
 * of every object they deleted; {@link #verify} waits (up to {@link #VERIFY_WAIT}) until the cache
 * shows each of those objects at that resourceVersion or a later one (see {@link
 * ClusterCache#awaitSeen} for why numbers may be compared), and only then judges from the cache.
 * When the wait runs out, the versions cannot be compared, an informer is down, or nothing was
 * remembered for the action (another instance applied it), it judges from a direct read instead —
 * never from a cache that may not have seen the writes. {@link #leftovers} always lists directly,
 * by label: a small read.
 */
public final class ActionExecutor {

    private static final Logger log = LoggerFactory.getLogger(ActionExecutor.class);

    private static final int ATTEMPTS = 5;

    /** How long verification waits for the cache to show the apply's writes before reading directly. */
    public static final Duration VERIFY_WAIT = Duration.ofSeconds(5);

    /** Applies whose verification never came (a fence lost between the two) are forgotten beyond this. */
    private static final int REMEMBERED_APPLIES = 1024;

    private final KubernetesClient client;
    private final Kinds kinds;
    private final ClusterReader reader;
    private final @Nullable ClusterCache cache;
    private final Duration verifyWait;

    /** Where a verification read the cluster from. */
    enum SnapshotSource {
        /** The cache, once it showed the apply's writes. */
        CACHE,
        /** The API server: no cache, no apply remembered, or a cache that could not show the writes. */
        DIRECT
    }

    /** Where the last {@link #verify} read from: for tests, which cannot tell the two by the result. */
    private volatile @Nullable SnapshotSource lastVerifiedFrom;

    private final Map<String, List<ClusterCache.Expectation>> written =
            java.util.Collections.synchronizedMap(new LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, List<ClusterCache.Expectation>> eldest) {
                    return size() > REMEMBERED_APPLIES;
                }
            });

    /** An executor that verifies from direct reads. */
    public ActionExecutor(KubernetesClient client) {
        this(client, null, VERIFY_WAIT);
    }

    /** An executor that verifies from the cache once it shows the apply's writes. */
    public ActionExecutor(KubernetesClient client, @Nullable ClusterCache cache) {
        this(client, cache, VERIFY_WAIT);
    }

    ActionExecutor(KubernetesClient client, @Nullable ClusterCache cache, Duration verifyWait) {
        this.client = client;
        this.kinds = new Kinds(client);
        this.reader = new ClusterReader(client, cache);
        this.cache = cache;
        this.verifyWait = verifyWait;
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

    /** Carries out the plan's steps in order, remembering what they wrote for {@link #verify}. */
    public Outcome apply(ActionPlan plan) {
        written.remove(plan.actionId());
        List<ClusterCache.Expectation> expectations = new ArrayList<>();
        Outcome outcome = run(plan.steps(), plan.actionId(), expectations);
        if (cache != null) {
            written.put(plan.actionId(), List.copyOf(expectations));
        }
        return outcome;
    }

    /** What the last apply of the action remembered for its verification; null when nothing is. */
    @Nullable
    List<ClusterCache.Expectation> remembered(String actionId) {
        return written.get(actionId);
    }

    /** Carries out the plan's undo steps in order; parts that cannot be undone stay as they are. */
    public Outcome rollback(ActionPlan plan) {
        written.remove(plan.actionId());
        return run(plan.undo(), plan.actionId(), new ArrayList<>());
    }

    /**
     * The problems a fresh snapshot shows with the applied action; empty when it is in effect. With
     * a cache: from the cache once it shows this executor's writes of the last {@link #apply} of the
     * action, else from a direct read.
     */
    public List<String> verify(ActionPlan plan) {
        String namespace = plan.target().namespace();
        return ActionType.of(plan.kind()).verify(plan, snapshotAfterApply(plan.actionId(), namespace));
    }

    private ClusterSnapshot snapshotAfterApply(String actionId, String namespace) {
        List<ClusterCache.Expectation> expectations = written.remove(actionId);
        lastVerifiedFrom = SnapshotSource.DIRECT;
        if (cache == null) {
            return reader.read(namespace);
        }
        if (expectations == null) {
            log.debug("verify {}: no apply of it remembered here; reading the cluster directly", actionId);
            return reader.list(namespace);
        }
        ClusterCache.Wait wait = cache.awaitSeen(expectations, verifyWait);
        if (wait == ClusterCache.Wait.SEEN) {
            try {
                ClusterSnapshot cached = reader.read(namespace);
                lastVerifiedFrom = SnapshotSource.CACHE;
                return cached;
            } catch (KubernetesFailure e) {
                if (e.reason() != KubernetesFailure.Reason.TRANSIENT) {
                    throw e;
                }
                wait = ClusterCache.Wait.NOT_READY; // an informer went down since: read directly
            }
        }
        log.info(
                "verify {}: the cluster cache cannot show the apply's writes ({}); reading the cluster directly",
                actionId,
                switch (wait) {
                    case TIMED_OUT -> "not seen within " + verifyWait.toMillis() + " ms";
                    case UNCOMPARABLE -> "resourceVersions are not numbers";
                    case NOT_READY -> "an informer is not synced or not watching";
                    case SEEN -> throw new IllegalStateException();
                });
        return reader.list(namespace);
    }

    /** Where the last {@link #verify} read the cluster from, or null before the first. */
    @Nullable
    SnapshotSource lastVerifiedFrom() {
        return lastVerifiedFrom;
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

    /**
     * Runs the steps; {@code seen} collects what the cluster held after each step, for a cached
     * verification to wait for.
     */
    private Outcome run(List<Step> steps, String actionId, List<ClusterCache.Expectation> seen) {
        List<String> changed = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        for (Step step : steps) {
            boolean didChange = switch (step) {
                case Step.Create create -> create(create, actionId, seen);
                case Step.DeleteOwned delete -> deleteOwned(delete, seen);
                case Step.Relabel relabel -> relabel(relabel, seen);
                case Step.RemoveSubjects remove -> editSubjects(remove.object(), remove::applyTo, seen);
                case Step.RestoreSubjects restore -> editSubjects(restore.object(), restore::applyTo, seen);
                case Step.Delete delete -> delete(delete, seen);
                case Step.RecreateServiceAccount recreate -> recreate(recreate, seen);
                case Step.SyncBlockPolicies sync -> sync(sync, seen);
            };
            (didChange ? changed : unchanged).add(step.describe());
        }
        return new Outcome(changed, unchanged);
    }

    private boolean create(Step.Create step, String actionId, List<ClusterCache.Expectation> seen) {
        HasMetadata manifest = step.manifest();
        ObjectRef ref = step.object();
        HasMetadata existing = get(ref);
        if (existing == null) {
            try {
                seen(kinds.resource(manifest).create(), seen);
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
        seen(existing, seen);
        return false;
    }

    private boolean deleteOwned(Step.DeleteOwned step, List<ClusterCache.Expectation> seen) {
        return deleteIf(step.object(), seen, existing -> {
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
    private boolean deleteIf(
            ObjectRef ref, List<ClusterCache.Expectation> seen, java.util.function.Predicate<HasMetadata> wanted) {
        for (int attempt = 1; ; attempt++) {
            HasMetadata existing = get(ref);
            if (existing == null) {
                return false;
            }
            if (!wanted.test(existing)) {
                seen(existing, seen);
                return false;
            }
            try {
                kinds.resource(ref)
                        .lockResourceVersion(existing.getMetadata().getResourceVersion())
                        .delete();
                seen.add(new ClusterCache.Expectation.Gone(
                        ref, existing.getMetadata().getUid()));
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

    private boolean relabel(Step.Relabel step, List<ClusterCache.Expectation> seen) {
        return update(step.object(), seen, object -> {
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

    private boolean editSubjects(
            ObjectRef ref, UnaryOperator<List<Subject>> edit, List<ClusterCache.Expectation> seen) {
        return update(ref, seen, object -> {
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

    private boolean delete(Step.Delete step, List<ClusterCache.Expectation> seen) {
        // Gone, or a newer object of the same name that this step never meant: nothing to do.
        return deleteIf(
                step.object(),
                seen,
                existing -> step.uid().equals(existing.getMetadata().getUid()));
    }

    private boolean recreate(Step.RecreateServiceAccount step, List<ClusterCache.Expectation> seen) {
        HasMetadata existing = get(step.object());
        if (existing != null && !step.uid().equals(existing.getMetadata().getUid())) {
            seen(existing, seen);
            return false; // recreated already
        }
        if (existing != null) {
            deleteIf(
                    step.object(),
                    new ArrayList<>(), // the replacement, seen below, stands for the deletion too
                    current -> step.uid().equals(current.getMetadata().getUid()));
            awaitGone(step.object(), step.uid());
        }
        ServiceAccount replacement = new ServiceAccountBuilder(step.replacement()).build();
        try {
            seen(
                    client.serviceAccounts()
                            .inNamespace(step.object().namespace())
                            .resource(replacement)
                            .create(),
                    seen);
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

    private boolean sync(Step.SyncBlockPolicies step, List<ClusterCache.Expectation> seen) {
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
            List<ClusterCache.Expectation> synced = new ArrayList<>();
            try {
                for (NetworkPolicy policy : policies) {
                    NetworkPolicySpec wanted = BlockPolicies.alignedSpec(policy, flows);
                    if (!sameJson(wanted, policy.getSpec())) {
                        policy.setSpec(wanted);
                        seen(client.resource(policy).update(), synced);
                        changed = true;
                    } else {
                        seen(policy, synced);
                    }
                }
                seen.addAll(synced);
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
    private boolean update(ObjectRef ref, List<ClusterCache.Expectation> seen, UnaryOperator<HasMetadata> change) {
        for (int attempt = 1; ; attempt++) {
            HasMetadata current = get(ref);
            if (current == null) {
                throw new KubernetesFailure(KubernetesFailure.Reason.NOT_FOUND, ref + " does not exist");
            }
            HasMetadata changed = change.apply(current);
            if (changed == null) {
                seen(current, seen); // unchanged by the edit, as read
                return false;
            }
            try {
                seen(kinds.resource(changed).update(), seen);
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == ATTEMPTS) {
                    throw KubernetesFailure.of("update " + ref, e);
                }
                sleep(attempt);
            }
        }
    }

    /** Remembers the object as the cluster held it after a step (of a kind the cache holds). */
    private void seen(@Nullable HasMetadata object, List<ClusterCache.Expectation> seen) {
        if (cache != null
                && object != null
                && object.getMetadata() != null
                && cache.holds(String.valueOf(object.getKind()))) {
            seen.add(new ClusterCache.Expectation.Seen(
                    ObjectRef.of(object), object.getMetadata().getResourceVersion()));
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
