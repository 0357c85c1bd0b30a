package dev.stanch.action;

import dev.stanch.playbook.ActionKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * revoke-token: takes the target pod's ServiceAccount out of every RoleBinding and
 * ClusterRoleBinding that names it, invalidates its legacy token Secrets, and — only when asked —
 * recreates the account so that every token bound to its uid fails.
 *
 * <p>Kubernetes cannot revoke one bound (projected) token: it stays valid until it expires or its
 * pod is deleted. What this action can do is leave those tokens without permissions (the bindings),
 * make the long-lived legacy tokens fail (the {@code kubernetes.io/legacy-token-invalid-since} label
 * from 1.29, deletion before), and, irreversibly, change the account's uid.
 *
 * <ul>
 *   <li>Parameters: {@code rotateServiceAccount} (boolean, default false).
 *   <li>Needs from the detection: the target pod only; every other name comes from the cluster.
 *   <li>RBAC: {@link #rbac()}.
 *   <li>Reversible: the bindings (the removed subjects go back to their places) and, from 1.29, the
 *       label on the legacy tokens. Not reversible: deleting a legacy token Secret (before 1.29)
 *       and recreating the account.
 * </ul>
 */
public final class RevokeToken implements ActionType {

    static final RevokeToken INSTANCE = new RevokeToken(Clock.systemUTC());

    static final String ROTATE = "rotateServiceAccount";

    static final String TOKEN_SECRET_TYPE = "kubernetes.io/service-account-token";

    static final String ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";

    static final String ACCOUNT_UID_ANNOTATION = "kubernetes.io/service-account.uid";

    private static final String RBAC_V1 = "rbac.authorization.k8s.io/v1";

    private static final String RBAC_GROUP = "rbac.authorization.k8s.io";

    /** More names than this in one warning help nobody; the count says the rest. */
    private static final int NAMES_SHOWN = 10;

    private static final List<RbacRule> RBAC = List.of(
            RbacRule.of(
                    RBAC_GROUP,
                    "rolebindings",
                    "get,update",
                    "take the account out of a RoleBinding, and put it back on rollback: the binding is read"
                            + " and updated with its resourceVersion, so that a concurrent change is read again,"
                            + " not overwritten"),
            RbacRule.of(
                    RBAC_GROUP,
                    "clusterrolebindings",
                    "get,update",
                    "take the account out of a ClusterRoleBinding, and put it back on rollback (read, then"
                            + " update with the resourceVersion)"),
            RbacRule.of(
                    RBAC_GROUP,
                    "roles",
                    "bind",
                    "the API server checks every update of a binding for privilege escalation, even one that"
                            + " only removes a subject: the updater must hold every permission of the Role the"
                            + " binding refers to, or be allowed to bind it. bind lets Stanch edit bindings of"
                            + " Roles it does not hold; it grants Stanch none of their permissions"),
            RbacRule.of(
                    RBAC_GROUP,
                    "clusterroles",
                    "bind",
                    "the same escalation check for bindings that refer to a ClusterRole (every"
                            + " ClusterRoleBinding, and RoleBindings that grant a ClusterRole in one namespace)"),
            RbacRule.of(
                    "",
                    "secrets",
                    "get,update",
                    "mark a legacy token Secret invalid (kubernetes.io/legacy-token-invalid-since, honoured"
                            + " from Kubernetes 1.29) and remove the mark on rollback: read, then update with the"
                            + " resourceVersion"),
            RbacRule.of(
                    "",
                    "secrets",
                    "delete",
                    "delete a legacy token Secret on servers older than 1.29, which ignore the label"),
            RbacRule.of(
                    "",
                    "serviceaccounts",
                    "get,delete,create",
                    "rotateServiceAccount: read the account's uid (only the planned account is deleted), delete"
                            + " it and create it again, so that every token bound to the old uid fails"));

    private final Clock clock;

    /**
     * @param clock gives the date written into the legacy-token label; a parameter so that a test
     *     fixes it
     */
    RevokeToken(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public ActionKind kind() {
        return ActionKind.REVOKE_TOKEN;
    }

    @Override
    public List<RbacRule> rbac() {
        return RBAC;
    }

    @Override
    public Planning plan(PlanInput input, ClusterSnapshot cluster) {
        TargetPod.Lookup lookup = TargetPod.find(input, cluster);
        if (lookup.refusal() != null) {
            return lookup.refusal();
        }
        Pod pod = Objects.requireNonNull(lookup.pod());
        String podName = input.namespace() + "/" + input.pod();

        Object rotateParam = input.request().params().getOrDefault(ROTATE, Boolean.FALSE);
        if (!(rotateParam instanceof Boolean rotate)) {
            return Planning.refuse(Refusal.INVALID, ROTATE + " must be true or false, not '" + rotateParam + "'");
        }

        String accountName = accountName(pod);
        Optional<ServiceAccount> found = cluster.serviceAccount(input.namespace(), accountName);
        if (found.isEmpty()) {
            return Planning.refuse(
                    Refusal.NOT_FOUND,
                    "ServiceAccount " + input.namespace() + "/" + accountName + " of pod " + podName
                            + " does not exist: no token of it authenticates");
        }
        ServiceAccount account = found.get();
        String accountUid = account.getMetadata().getUid();
        if (accountUid == null) {
            return Planning.refuse(
                    Refusal.NOT_FOUND, "ServiceAccount " + input.namespace() + "/" + accountName + " has no uid yet");
        }
        ServiceAccountUser user = new ServiceAccountUser(account.getMetadata().getNamespace(), accountName);

        List<Removal> removals = removals(user, cluster);
        List<Secret> tokens = legacyTokens(account, cluster);
        boolean labelHonoured = cluster.server().honoursLegacyTokenInvalidLabel();
        // Before 1.29 the label means nothing: every token is deleted, labelled or not.
        List<Secret> alreadyInvalid = labelHonoured
                ? tokens.stream().filter(RevokeToken::markedInvalid).toList()
                : List.of();
        List<Secret> toInvalidate =
                labelHonoured ? tokens.stream().filter(t -> !markedInvalid(t)).toList() : tokens;

        if (removals.isEmpty() && toInvalidate.isEmpty() && !rotate) {
            return Planning.refuse(
                    Refusal.ALREADY_IN_EFFECT,
                    user + " of pod " + podName + " has no bindings and no legacy tokens that still"
                            + " authenticate: nothing to revoke. Its bound tokens still authenticate, as members of "
                            + String.join(", ", user.groups())
                            + ", with what bindings grant those groups; set " + ROTATE + " to make them fail");
        }

        List<Step> steps = new ArrayList<>();
        List<Step> undo = new ArrayList<>();
        List<HasMetadata> preImages = new ArrayList<>();
        List<Reversibility> reversibility = new ArrayList<>();

        for (Removal removal : removals) {
            Step.RemoveSubjects remove =
                    new Step.RemoveSubjects(removal.binding().ref(), removal.subjects());
            steps.add(remove);
            undo.add(new Step.RestoreSubjects(removal.binding().ref(), removal.subjects(), removal.positions()));
            preImages.add(removal.binding().copy().get());
            reversibility.add(Reversibility.reversible(
                    remove.describe(),
                    "rollback puts it back at its place among the subjects (index "
                            + removal.positions().stream().map(String::valueOf).collect(Collectors.joining(", "))
                            + ")"
                            + (rotate ? "; the binding then grants the recreated account of the same name" : "")));
        }

        String today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE);
        for (Secret token : toInvalidate) {
            ObjectRef ref = secretRef(token);
            preImages.add(token.toBuilder().build());
            if (labelHonoured) {
                String change = "mark legacy token Secret " + ref.namespace() + "/" + ref.name() + " invalid ("
                        + StanchLabels.LEGACY_TOKEN_INVALID_SINCE + "=" + today + ")";
                steps.add(Step.Relabel.labels(ref, Map.of(StanchLabels.LEGACY_TOKEN_INVALID_SINCE, today), Set.of()));
                if (rotate) {
                    // The token controller deletes the token Secrets of a deleted account (their uid
                    // annotation names the old uid): there will be nothing to take the label off.
                    reversibility.add(Reversibility.irreversible(
                            change,
                            "the Secret's token belongs to the old uid: once the account is recreated the token"
                                    + " controller deletes the Secret, and the token is gone for good"));
                } else {
                    undo.add(Step.Relabel.labels(ref, Map.of(), Set.of(StanchLabels.LEGACY_TOKEN_INVALID_SINCE)));
                    reversibility.add(Reversibility.reversible(
                            change, "rollback removes the label and the token authenticates again"));
                }
            } else {
                steps.add(new Step.Delete(
                        ref,
                        token.getMetadata().getUid(),
                        "a legacy token of " + user + "; server " + cluster.server() + " ignores "
                                + StanchLabels.LEGACY_TOKEN_INVALID_SINCE + " (honoured from 1.29)"));
                reversibility.add(Reversibility.irreversible(
                        "delete legacy token Secret " + ref.namespace() + "/" + ref.name(),
                        "server " + cluster.server() + " cannot mark a legacy token invalid, so the Secret is"
                                + " deleted: its token is gone for good, and whoever still needs one must be issued a"
                                + " new token (a TokenRequest, or a new token Secret)"));
            }
        }

        List<String> sharing = otherPodsOf(accountName, pod, cluster);
        if (rotate) {
            ObjectRef ref = new ObjectRef("v1", "ServiceAccount", user.namespace(), accountName);
            steps.add(new Step.RecreateServiceAccount(ref, accountUid, replacement(account, cluster)));
            preImages.add(account.toBuilder().build());
            reversibility.add(Reversibility.irreversible(
                    "recreate " + user,
                    "every token bound to uid " + accountUid + " stops authenticating for good: the projected"
                            + " tokens of " + podsUsingIt(sharing.size() + 1) + " and the legacy tokens. Those pods"
                            + " fail every API call until they are restarted or the kubelet refreshes their token (at"
                            + " 80% of its requested lifetime: about 48 minutes for the default hour); the new token"
                            + " belongs to the new account"));
        }
        Collections.reverse(undo);

        List<String> warnings = new ArrayList<>();
        warnings.addAll(sharingWarnings(user, sharing));
        warnings.add(boundTokenWarning(user, accountUid, rotate, sharing.size() + 1));
        groupBindingsWarning(user, cluster).ifPresent(warnings::add);
        for (Secret token : toInvalidate) {
            mountedWarning(token, labelHonoured, cluster).ifPresent(warnings::add);
        }
        for (Secret token : alreadyInvalid) {
            warnings.add("Legacy token Secret " + token.getMetadata().getNamespace() + "/"
                    + token.getMetadata().getName() + " is already marked invalid since "
                    + token.getMetadata().getLabels().get(StanchLabels.LEGACY_TOKEN_INVALID_SINCE)
                    + ": left alone, and rollback leaves it so");
        }
        if (rotate && "default".equals(accountName)) {
            warnings.add("The ServiceAccount controller recreates " + user + " by itself as soon as it is deleted,"
                    + " bare: when it is faster than Stanch, the new account lacks the old one's image pull secrets,"
                    + " labels and annotations (the plan's replacement lists them, to put back by hand).");
        }
        List<String> finalizers = account.getMetadata().getFinalizers();
        if (rotate && finalizers != null && !finalizers.isEmpty()) {
            warnings.add(user + " has finalizers (" + String.join(", ", finalizers)
                    + "): it is deleted, and so recreated, only once their controllers remove them");
        }

        return new Planning.Planned(new ActionPlan(
                input.actionId(),
                kind(),
                input.request().target(),
                input.request().params(),
                summary(user, podName, removals.size(), toInvalidate.size(), labelHonoured, rotate),
                steps,
                undo,
                preImages,
                reversibility,
                List.of(),
                List.of(),
                warnings));
    }

    @Override
    public List<String> verify(ActionPlan plan, ClusterSnapshot cluster) {
        List<String> problems = new ArrayList<>();
        accountOf(plan)
                .ifPresent(user -> bindings(cluster).forEach(binding -> {
                    if (binding.subjects().stream().anyMatch(s -> user.isSubject(s, binding.namespace()))) {
                        problems.add(user + " is still a subject of " + binding.ref());
                    }
                }));
        for (Step step : plan.steps()) {
            switch (step) {
                case Step.Relabel relabel -> {
                    Optional<Secret> now = sameSecret(relabel.object(), plannedUid(plan, relabel.object()), cluster);
                    if (now.isPresent() && !markedInvalid(now.get())) {
                        problems.add(secretName(relabel.object()) + " still lacks "
                                + StanchLabels.LEGACY_TOKEN_INVALID_SINCE);
                    }
                }
                case Step.Delete delete -> {
                    if (sameSecret(delete.object(), delete.uid(), cluster).isPresent()) {
                        problems.add(secretName(delete.object()) + " still exists (uid " + delete.uid() + ")");
                    }
                }
                case Step.RecreateServiceAccount recreate -> {
                    Optional<ServiceAccount> now = cluster.serviceAccount(
                            Objects.requireNonNull(recreate.object().namespace()),
                            recreate.object().name());
                    if (now.isEmpty()) {
                        problems.add(recreate.object() + " does not exist: it was deleted but not created again");
                    } else if (recreate.uid().equals(now.get().getMetadata().getUid())) {
                        problems.add(recreate.object() + " still has uid " + recreate.uid()
                                + ": its tokens still authenticate");
                    }
                }
                // Checked above, against every binding, not only those planned on.
                case Step.RemoveSubjects ignored -> {}
                // Not steps this kind plans.
                case Step.Create ignored -> {}
                case Step.DeleteOwned ignored -> {}
                case Step.RestoreSubjects ignored -> {}
                case Step.SyncBlockPolicies ignored -> {}
            }
        }
        return problems;
    }

    /** The pod's account: the API server defaults an empty name to {@code default}. */
    static String accountName(Pod pod) {
        if (pod.getSpec() == null) {
            return "default";
        }
        String name = pod.getSpec().getServiceAccountName();
        if (name == null || name.isEmpty()) {
            // The deprecated alias, still honoured by the API server when the name is not set.
            name = pod.getSpec().getServiceAccount();
        }
        return name == null || name.isEmpty() ? "default" : name;
    }

    /** Each binding that names the account, with the subjects to take out and where they were. */
    private static List<Removal> removals(ServiceAccountUser user, ClusterSnapshot cluster) {
        List<Removal> removals = new ArrayList<>();
        for (Binding binding : bindings(cluster)) {
            List<Subject> subjects = new ArrayList<>();
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < binding.subjects().size(); i++) {
                Subject subject = binding.subjects().get(i);
                if (user.isSubject(subject, binding.namespace())) {
                    subjects.add(subject.toBuilder().build());
                    positions.add(i);
                }
            }
            if (!subjects.isEmpty()) {
                removals.add(new Removal(binding, subjects, positions));
            }
        }
        return removals;
    }

    /** Every binding, RoleBindings first, each kind in name order: the plan does not depend on list order. */
    private static List<Binding> bindings(ClusterSnapshot cluster) {
        Stream<Binding> roleBindings = cluster.roleBindings().stream()
                .map(Binding::of)
                .sorted(Comparator.comparing((Binding b) -> Objects.requireNonNull(b.namespace()))
                        .thenComparing(b -> b.ref().name()));
        Stream<Binding> clusterRoleBindings = cluster.clusterRoleBindings().stream()
                .map(Binding::of)
                .sorted(Comparator.comparing(b -> b.ref().name()));
        return Stream.concat(roleBindings, clusterRoleBindings).toList();
    }

    /**
     * The account's legacy token Secrets that can still authenticate: the type, the account's name
     * annotation, and — when the token controller has written it — the account's uid (a token of an
     * earlier account of the same name fails already). A Secret being deleted fails already too; one
     * without a uid was never stored by an API server.
     */
    private static List<Secret> legacyTokens(ServiceAccount account, ClusterSnapshot cluster) {
        String namespace = account.getMetadata().getNamespace();
        String name = account.getMetadata().getName();
        String uid = account.getMetadata().getUid();
        return cluster.tokenSecrets().stream()
                .filter(s -> TOKEN_SECRET_TYPE.equals(s.getType()))
                .filter(s -> namespace.equals(s.getMetadata().getNamespace()))
                .filter(s -> s.getMetadata().getUid() != null && s.getMetadata().getDeletionTimestamp() == null)
                .filter(s -> name.equals(annotation(s, ACCOUNT_NAME_ANNOTATION)))
                .filter(s -> {
                    String tokenUid = annotation(s, ACCOUNT_UID_ANNOTATION);
                    return tokenUid == null || tokenUid.equals(uid);
                })
                .sorted(Comparator.comparing(s -> s.getMetadata().getName()))
                .toList();
    }

    /** The authenticator refuses a legacy token whose Secret has this label with any non-empty value. */
    private static boolean markedInvalid(Secret secret) {
        Map<String, String> labels = secret.getMetadata().getLabels();
        String since = labels == null ? null : labels.get(StanchLabels.LEGACY_TOKEN_INVALID_SINCE);
        return since != null && !since.isEmpty();
    }

    /**
     * The account to create in place of the old one: what its owners and its pods rely on, nothing
     * that belonged to the old object alone.
     *
     * <p>Kept: labels and annotations (selectors, Helm's and GitOps tools' ownership marks, {@code
     * kubernetes.io/enforce-mountable-secrets}); image pull secrets (new pods of the account must
     * still pull); {@code automountServiceAccountToken} (whether pods get a token at all); the
     * {@code secrets} list without the old account's token Secrets (under enforce-mountable-secrets it
     * says what the account's pods may mount; the token Secrets belong to the old uid and the token
     * controller deletes them); owner references, because the owner keeps its uid, so garbage
     * collection and the owning controller go on treating the account as theirs — without {@code
     * blockOwnerDeletion}, which only makes a foreground deletion of the owner wait for the account
     * and which, where the OwnerReferencesPermissionEnforcement admission plugin runs, needs update
     * on the owner's finalizers: a permission Stanch should not hold for arbitrary kinds.
     *
     * <p>Left out: uid, resourceVersion, creationTimestamp, generation and managedFields (the API
     * server sets them for the new object, and rejects a create that carries a resourceVersion);
     * finalizers (those who want them on the new account add them again); no Stanch label either:
     * the account is its owner's, not Stanch's, and is found again by name and old uid.
     */
    private static ServiceAccount replacement(ServiceAccount old, ClusterSnapshot cluster) {
        ObjectMeta meta = old.getMetadata();
        Set<String> tokenSecrets = cluster.tokenSecrets().stream()
                .filter(s -> meta.getNamespace().equals(s.getMetadata().getNamespace()))
                .filter(s -> meta.getName().equals(annotation(s, ACCOUNT_NAME_ANNOTATION)))
                .map(s -> s.getMetadata().getName())
                .collect(Collectors.toSet());
        List<OwnerReference> owners = listOf(meta.getOwnerReferences()).stream()
                .map(o -> o.toBuilder().withBlockOwnerDeletion(null).build())
                .toList();
        List<ObjectReference> secrets = listOf(old.getSecrets()).stream()
                .filter(s -> !tokenSecrets.contains(s.getName()))
                .map(s -> s.toBuilder().build())
                .toList();
        List<LocalObjectReference> pullSecrets = listOf(old.getImagePullSecrets()).stream()
                .map(s -> s.toBuilder().build())
                .toList();
        return new ServiceAccountBuilder()
                .withNewMetadata()
                .withNamespace(meta.getNamespace())
                .withName(meta.getName())
                .withLabels(meta.getLabels() == null ? null : new LinkedHashMap<>(meta.getLabels()))
                .withAnnotations(meta.getAnnotations() == null ? null : new LinkedHashMap<>(meta.getAnnotations()))
                .withOwnerReferences(owners.isEmpty() ? null : owners)
                .endMetadata()
                .withImagePullSecrets(pullSecrets.isEmpty() ? null : pullSecrets)
                .withAutomountServiceAccountToken(old.getAutomountServiceAccountToken())
                .withSecrets(secrets.isEmpty() ? null : secrets)
                .build();
    }

    /** The other pods of the namespace that run as the account, by name. */
    private static List<String> otherPodsOf(String accountName, Pod target, ClusterSnapshot cluster) {
        String namespace = target.getMetadata().getNamespace();
        return cluster.pods().stream()
                .filter(p -> namespace.equals(p.getMetadata().getNamespace()))
                .filter(p ->
                        !target.getMetadata().getName().equals(p.getMetadata().getName()))
                .filter(p -> accountName.equals(accountName(p)))
                .map(p -> p.getMetadata().getName())
                .sorted()
                .toList();
    }

    private static List<String> sharingWarnings(ServiceAccountUser user, List<String> sharing) {
        String others = switch (sharing.size()) {
            case 0 -> "No other pod of " + user.namespace() + " uses it now.";
            case 1 ->
                "1 other pod of " + user.namespace() + " uses it and loses its permissions too: " + names(sharing)
                        + ".";
            default ->
                sharing.size() + " other pods of " + user.namespace() + " use it and lose its permissions too: "
                        + names(sharing) + ".";
        };
        if ("default".equals(user.name())) {
            return List.of("CAUTION: " + user + " is the namespace's default account: every pod of "
                    + user.namespace() + " that names no account runs as it, and so will every such pod created"
                    + " later. " + others);
        }
        return sharing.isEmpty() ? List.of() : List.of(user + " is shared. " + others);
    }

    private static String boundTokenWarning(ServiceAccountUser user, String uid, boolean rotate, int pods) {
        if (rotate) {
            return "Recreating " + user + " makes every token of uid " + uid + " fail at once, in "
                    + podsUsingIt(pods) + ". When the kubelet next refreshes a pod's token (at 80% of its requested"
                    + " lifetime) or the pod restarts, it gets a token of the new account — the compromised pod too:"
                    + " with the bindings removed, that token carries only what the account's groups are granted.";
        }
        return "Tokens already issued to " + user + " stay valid: Kubernetes cannot revoke a bound (projected)"
                + " token, which lives until it expires or its pod is deleted — up to a year for the tokens the"
                + " kubelet mounts, while the API server extends them (--service-account-extend-token-expiration,"
                + " on by default). Once the bindings are gone they carry only what the account's groups are"
                + " granted; set " + ROTATE + " to make them fail.";
    }

    /** Bindings that grant a group the account is in: shared by many, so never edited by Stanch. */
    private static Optional<String> groupBindingsWarning(ServiceAccountUser user, ClusterSnapshot cluster) {
        List<String> grants = new ArrayList<>();
        for (Binding binding : bindings(cluster)) {
            binding.subjects().stream()
                    .filter(user::inGroup)
                    .forEach(group ->
                            grants.add(binding.ref() + " (" + binding.roleRef().getKind() + " "
                                    + binding.roleRef().getName() + " to Group " + group.getName() + ")"));
        }
        if (grants.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("Every token of " + user + " still gets what these bindings grant to groups it belongs to;"
                + " they are shared with other accounts, so Stanch does not edit them: " + String.join("; ", grants));
    }

    /** Pods that mount a legacy token Secret as a volume: they use the token that stops working. */
    private static Optional<String> mountedWarning(Secret token, boolean labelled, ClusterSnapshot cluster) {
        String namespace = token.getMetadata().getNamespace();
        String name = token.getMetadata().getName();
        List<String> pods = cluster.pods().stream()
                .filter(p -> namespace.equals(p.getMetadata().getNamespace()))
                .filter(p -> p.getSpec() != null
                        && listOf(p.getSpec().getVolumes()).stream().anyMatch(v -> mounts(v, name)))
                .map(p -> p.getMetadata().getName())
                .sorted()
                .toList();
        if (pods.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("Pods that mount legacy token Secret " + namespace + "/" + name
                + " use a token that no longer authenticates: " + names(pods)
                + (labelled ? "" : "; a pod that mounts it cannot start until a Secret of that name exists again"));
    }

    private static boolean mounts(Volume volume, String secretName) {
        if (volume.getSecret() != null && secretName.equals(volume.getSecret().getSecretName())) {
            return true;
        }
        return volume.getProjected() != null
                && listOf(volume.getProjected().getSources()).stream()
                        .map(VolumeProjection::getSecret)
                        .anyMatch(s -> s != null && secretName.equals(s.getName()));
    }

    private static String summary(
            ServiceAccountUser user, String podName, int bindings, int tokens, boolean labelled, boolean rotate) {
        List<String> parts = new ArrayList<>();
        if (bindings > 0) {
            parts.add("take it out of " + bindings + " binding" + (bindings == 1 ? "" : "s"));
        }
        if (tokens > 0) {
            String secrets = tokens + " legacy token Secret" + (tokens == 1 ? "" : "s");
            parts.add(labelled ? "mark " + secrets + " invalid" : "delete " + secrets);
        }
        if (rotate) {
            parts.add("recreate it so that every token bound to its uid fails");
        }
        String last = parts.removeLast();
        String list = parts.isEmpty() ? last : String.join(", ", parts) + " and " + last;
        return "Revoke the credentials of " + user + " (pod " + podName + "): " + list + ".";
    }

    /**
     * The account a plan of this kind acted on. Every step it plans names the account: the subjects
     * taken out, the token Secrets' annotation, the account recreated.
     */
    private static Optional<ServiceAccountUser> accountOf(ActionPlan plan) {
        String namespace = plan.target().namespace();
        for (Step step : plan.steps()) {
            String name = switch (step) {
                case Step.RemoveSubjects remove ->
                    remove.subjects().stream()
                            .map(s -> "User".equals(s.getKind())
                                    ? s.getName().substring(s.getName().lastIndexOf(':') + 1)
                                    : s.getName())
                            .findFirst()
                            .orElse(null);
                case Step.Relabel relabel ->
                    preImage(plan, relabel.object())
                            .map(s -> annotation(s, ACCOUNT_NAME_ANNOTATION))
                            .orElse(null);
                case Step.Delete delete ->
                    preImage(plan, delete.object())
                            .map(s -> annotation(s, ACCOUNT_NAME_ANNOTATION))
                            .orElse(null);
                case Step.RecreateServiceAccount recreate -> recreate.object().name();
                case Step.Create ignored -> null;
                case Step.DeleteOwned ignored -> null;
                case Step.RestoreSubjects ignored -> null;
                case Step.SyncBlockPolicies ignored -> null;
            };
            if (name != null) {
                return Optional.of(new ServiceAccountUser(namespace, name));
            }
        }
        return Optional.empty();
    }

    private static Optional<HasMetadata> preImage(ActionPlan plan, ObjectRef ref) {
        return plan.preImages().stream()
                .filter(o -> ref.kind().equals(o.getKind())
                        && Objects.equals(ref.namespace(), o.getMetadata().getNamespace())
                        && ref.name().equals(o.getMetadata().getName()))
                .findFirst();
    }

    private static @Nullable String plannedUid(ActionPlan plan, ObjectRef ref) {
        return preImage(plan, ref).map(o -> o.getMetadata().getUid()).orElse(null);
    }

    /** The Secret of that name, if it is still the one planned on (a newer one of the same name is not). */
    private static Optional<Secret> sameSecret(ObjectRef ref, @Nullable String uid, ClusterSnapshot cluster) {
        return cluster.tokenSecrets().stream()
                .filter(s -> Objects.equals(ref.namespace(), s.getMetadata().getNamespace())
                        && ref.name().equals(s.getMetadata().getName()))
                .filter(s -> uid == null || uid.equals(s.getMetadata().getUid()))
                .findFirst();
    }

    private static ObjectRef secretRef(Secret secret) {
        return new ObjectRef(
                "v1",
                "Secret",
                secret.getMetadata().getNamespace(),
                secret.getMetadata().getName());
    }

    private static String secretName(ObjectRef ref) {
        return "legacy token Secret " + ref.namespace() + "/" + ref.name();
    }

    private static @Nullable String annotation(HasMetadata object, String key) {
        Map<String, String> annotations = object.getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    private static String podsUsingIt(int pods) {
        return pods == 1 ? "the one pod that uses it" : "the " + pods + " pods that use it";
    }

    private static String names(List<String> names) {
        if (names.size() <= NAMES_SHOWN) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, NAMES_SHOWN)) + " and " + (names.size() - NAMES_SHOWN) + " more";
    }

    private static <T> List<T> listOf(@Nullable List<T> list) {
        return list == null ? List.of() : list;
    }

    /**
     * A RoleBinding or a ClusterRoleBinding: they differ only in scope.
     *
     * @param ref the binding
     * @param namespace the RoleBinding's namespace, null for a ClusterRoleBinding
     * @param roleRef the role it grants
     * @param subjects whom it grants the role to
     * @param copy makes a copy of the binding as read, for the undo record (only of those changed)
     */
    private record Binding(
            ObjectRef ref,
            @Nullable String namespace,
            RoleRef roleRef,
            List<Subject> subjects,
            Supplier<HasMetadata> copy) {

        static Binding of(RoleBinding binding) {
            String namespace = binding.getMetadata().getNamespace();
            return new Binding(
                    new ObjectRef(
                            RBAC_V1,
                            "RoleBinding",
                            namespace,
                            binding.getMetadata().getName()),
                    namespace,
                    binding.getRoleRef(),
                    listOf(binding.getSubjects()),
                    () -> binding.toBuilder().build());
        }

        static Binding of(ClusterRoleBinding binding) {
            return new Binding(
                    new ObjectRef(
                            RBAC_V1,
                            "ClusterRoleBinding",
                            null,
                            binding.getMetadata().getName()),
                    null,
                    binding.getRoleRef(),
                    listOf(binding.getSubjects()),
                    () -> binding.toBuilder().build());
        }
    }

    /**
     * The account's subjects in one binding.
     *
     * @param binding the binding
     * @param subjects the subjects that are the account, as they are written there
     * @param positions each one's index among the binding's subjects
     */
    private record Removal(Binding binding, List<Subject> subjects, List<Integer> positions) {}
}
