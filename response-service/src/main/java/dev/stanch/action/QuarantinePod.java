package dev.stanch.action;

import dev.stanch.netpol.Connection;
import dev.stanch.netpol.ConnectivityChange;
import dev.stanch.netpol.ConnectivityDiff;
import dev.stanch.netpol.Endpoint;
import dev.stanch.netpol.NetpolEngine;
import dev.stanch.playbook.ActionKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * quarantine-pod: keep the pod running for forensics and cut it off the network. The pod gets the
 * label {@code stanch.dev/quarantine=<action id>}; a NetworkPolicy on that label selects it for
 * ingress and egress and allows nothing; where the cluster serves ClusterNetworkPolicy or
 * AdminNetworkPolicy, an admin-tier policy denies the same pod ahead of every NetworkPolicy, because NetworkPolicies only add up and
 * another one that selects the pod would let its traffic back in. The plan says, from the policy
 * engine, what the pod loses and what it keeps.
 *
 * <p>Parameter {@code detach} (default false): also move the labels its Services and its controller
 * select on into the annotation {@code stanch.dev/detached-labels}. The pod leaves the Services'
 * endpoints; its controller no longer matches it, lets it go and starts a replacement; the pod stays.
 *
 * <p>Refused when the pod is in quarantine already, uses the node's network, or when quarantining it
 * would put more than {@link Safety#maxQuarantineShare()} of its workload's ready replicas in
 * quarantine (see {@link #overShare}). Everything it does is reversible: rollback deletes the
 * policies and puts the labels back.
 */
public final class QuarantinePod implements ActionType {

    static final QuarantinePod INSTANCE = new QuarantinePod();

    static final String DETACH = "detach";

    private QuarantinePod() {}

    @Override
    public ActionKind kind() {
        return ActionKind.QUARANTINE_POD;
    }

    @Override
    public List<RbacRule> rbac() {
        return List.of(
                RbacRule.of(
                        "",
                        "pods",
                        "get,update",
                        "label the pod for quarantine and, with detach, move its selector labels into an"
                                + " annotation: read, then update with the resourceVersion read"),
                RbacRule.of(
                        "networking.k8s.io",
                        "networkpolicies",
                        "create,get,delete",
                        "the deny-all NetworkPolicy on the quarantine label: create it, find it again by"
                                + " name (after a crash too), delete it on rollback"),
                RbacRule.of(
                        "policy.networking.k8s.io",
                        "clusternetworkpolicies",
                        "create,get,delete",
                        "where the cluster serves ClusterNetworkPolicy, the admin-tier policy that denies the pod"
                                + " ahead of every NetworkPolicy: create, find again, delete on rollback"),
                RbacRule.of(
                        "policy.networking.k8s.io",
                        "adminnetworkpolicies",
                        "create,get,delete",
                        "where the cluster serves AdminNetworkPolicy but not ClusterNetworkPolicy, the admin policy that"
                                + " denies the pod"
                                + " ahead of every NetworkPolicy: create, find again, delete on rollback"));
    }

    @Override
    public Planning plan(PlanInput input, ClusterSnapshot cluster) {
        TargetPod.Lookup lookup = TargetPod.find(input, cluster);
        if (lookup.refusal() != null) {
            return lookup.refusal();
        }
        Pod pod = Objects.requireNonNull(lookup.pod());
        String podName = "pod " + input.namespace() + "/" + input.pod();
        String inQuarantine = TargetPod.labels(pod).get(StanchLabels.QUARANTINE);
        if (inQuarantine != null) {
            return Planning.refuse(
                    Refusal.ALREADY_IN_EFFECT,
                    podName + " is in quarantine already: its label " + StanchLabels.QUARANTINE + " names action "
                            + inQuarantine);
        }
        if (Isolation.finished(pod)) {
            return Planning.refuse(
                    Refusal.ALREADY_IN_EFFECT,
                    podName + " has finished (" + pod.getStatus().getPhase() + "): it has no network left to cut");
        }
        if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return Planning.refuse(
                    Refusal.UNSUPPORTED,
                    podName + " uses the node's network (hostNetwork): NetworkPolicy does not apply to"
                            + " host-network pods, so no policy can cut it off");
        }
        Object detach = input.request().params().getOrDefault(DETACH, false);
        if (!(detach instanceof Boolean)) {
            return Planning.refuse(Refusal.INVALID, "parameter detach must be true or false, not '" + detach + "'");
        }
        Optional<PodOwner> owner = PodOwner.of(pod, cluster);
        if (owner.isPresent()) {
            Planning.Refused refused = overShare(pod, owner.get(), input, cluster);
            if (refused != null) {
                return refused;
            }
        }
        return new Planning.Planned(plan(input, cluster, pod, owner, (Boolean) detach));
    }

    /**
     * The share guardrail. With A the owner's pods in quarantine already (ready or not, orphaned by a
     * detach or not: each took a replica away when it went in), R the owner's ready pods not in
     * quarantine (this one included) plus A, and Q = A plus this pod if it is ready, refuse when
     * {@code Q > maxQuarantineShare × R}. One ready replica at share 0.5: 1 > 0.5, refused; one of
     * two: 1 > 1 is false, allowed; the second of those two: 2 > 1, refused. A pod that is not ready
     * adds nothing to Q. Exact decimal arithmetic: in doubles 0.58 × 50 is 28.999999999999996, which
     * would refuse the 29th of 50 that the share allows.
     */
    private static Planning.@Nullable Refused overShare(
            Pod pod, PodOwner owner, PlanInput input, ClusterSnapshot cluster) {
        String uid = pod.getMetadata().getUid();
        List<Pod> pods = owner.pods(input.namespace(), cluster);
        // In quarantine already, ready or not: each took a replica away when it went in, and a
        // detached StatefulSet pod has no replacement to give it back.
        long already = pods.stream()
                .filter(other -> !uid.equals(other.getMetadata().getUid()))
                .filter(other -> TargetPod.labels(other).containsKey(StanchLabels.QUARANTINE))
                .count();
        long serving = pods.stream()
                .filter(other -> !TargetPod.labels(other).containsKey(StanchLabels.QUARANTINE))
                .filter(PodOwner::ready)
                .count();
        long quarantined = already + (PodOwner.ready(pod) ? 1 : 0);
        long total = serving + already;
        BigDecimal limit =
                BigDecimal.valueOf(input.safety().maxQuarantineShare()).multiply(BigDecimal.valueOf(total));
        if (BigDecimal.valueOf(quarantined).compareTo(limit) <= 0) {
            return null;
        }
        return new Planning.Refused(
                Refusal.LIMIT,
                "quarantining pod " + input.namespace() + "/" + input.pod() + " would put " + quarantined + " of the "
                        + total + " ready pods of " + owner.describe(input.namespace())
                        + " in quarantine; at most " + limit.setScale(0, RoundingMode.FLOOR)
                        + " may be (maxQuarantineShare " + input.safety().maxQuarantineShare() + ")");
    }

    private static ActionPlan plan(
            PlanInput input, ClusterSnapshot cluster, Pod pod, Optional<PodOwner> owner, boolean detach) {
        String namespace = input.namespace();
        String actionId = input.actionId();
        String podName = "pod " + namespace + "/" + input.pod();
        List<String> warnings = new ArrayList<>();
        warnings.add("connections the pod opened or accepted before may survive: CNIs such as Calico and Antrea"
                + " keep established connections in conntrack after a policy changes, until they close");

        NetworkPolicy networkPolicy = QuarantinePolicies.networkPolicy(namespace, actionId);
        GenericKubernetesResource adminPolicy = null;
        Optional<AdminPolicies.Api> denyApi = AdminPolicies.Api.of(cluster.server());
        if (denyApi.isPresent()) {
            if (AdminPolicies.hasNameLabel(cluster, namespace)) {
                AdminPolicies.Priority priority = AdminPolicies.priority(cluster.adminPolicies());
                adminPolicy = QuarantinePolicies.adminPolicy(denyApi.get(), namespace, actionId, priority.value());
                if (!priority.tiedWith().isEmpty()) {
                    warnings.add("the " + denyApi.get().kind + " takes priority 0, which "
                            + String.join(", ", priority.tiedWith())
                            + " has too: the API leaves the order of equal priorities undefined, so an Allow"
                            + " there may win over the quarantine's Deny");
                }
            } else {
                warnings.add("namespace " + namespace + " has no label " + AdminPolicies.NAMESPACE_NAME_LABEL
                        + "=" + namespace + " (Kubernetes sets it from 1.21 on): no admin-tier policy can select"
                        + " the pod by namespace, so only the NetworkPolicy is created and other NetworkPolicies"
                        + " still add their rules");
            }
        } else if (cluster.server().hasCiliumNetworkPolicy()) {
            warnings.add("the cluster runs Cilium, which enforces no AdminNetworkPolicy (and ClusterNetworkPolicy"
                    + " only from 1.20 where enabled): no admin-tier policy is created, so other NetworkPolicies"
                    + " that select the pod still add their rules");
        }

        Detachment detachment = detach ? Detachment.of(pod, cluster, owner) : null;
        Step.Relabel relabel = relabel(pod, actionId, detachment, owner);
        Set<String> suspended = blockLabels(pod);
        if (!suspended.isEmpty()) {
            warnings.add("the pod carries the labels of earlier blocks (" + String.join(", ", suspended)
                    + "): their policies would still allow all but one flow each, so the quarantine takes the"
                    + " labels off and its rollback puts them back — roll those blocks back after this"
                    + " quarantine, not during it, or their labels come back without their policies");
        }
        Pod quarantined = relabelled(pod, relabel);
        List<HasMetadata> created = new ArrayList<>(List.of(networkPolicy));
        if (adminPolicy != null) {
            created.add(adminPolicy);
        }

        NetpolEngine before = NetpolEngine.index(cluster.networkState());
        NetpolEngine after = NetpolEngine.index(
                withChanges(cluster, quarantined, networkPolicy, adminPolicy).networkState(before.state()));
        Endpoint subject = Endpoint.pod(namespace, input.pod());
        ConnectivityDiff diff = NetpolEngine.diff(before, after, subject);
        List<ConnectivityChange> remaining = Isolation.remaining(after, quarantined);
        if (!remaining.isEmpty()) {
            warnings.add(remaining.size() + " connection(s) of the pod remain, because other policies still allow"
                    + " them: " + String.join(", ", Isolation.allowedBy(after, cluster, remaining))
                    + (adminPolicy == null
                            ? " (NetworkPolicies add up; only an admin-tier policy could deny them)"
                            : ""));
        }
        if (!diff.gains().isEmpty()) {
            warnings.add("the new labels let other policies allow what they did not before: "
                    + diff.gains().stream().map(ConnectivityChange::toString).collect(Collectors.joining("; ")));
        }

        List<Service> services = Detachment.selectingServices(pod, cluster);
        if (detachment == null) {
            if (!services.isEmpty()) {
                warnings.add("the pod stays an endpoint of " + names("Service", namespace, services)
                        + ": what they send it is dropped until rollback (detach takes it out of them)");
            }
        } else {
            warnings.addAll(detachEffects(detachment, namespace));
        }

        Map<String, Object> params = new LinkedHashMap<>();
        params.put(DETACH, detach);
        params.put("adminPolicy", adminPolicy == null ? "none" : adminPolicy.getKind());
        List<Step> steps = new ArrayList<>();
        List<Step> undo = new ArrayList<>();
        List<Reversibility> reversibility = new ArrayList<>();
        for (HasMetadata policy : created) {
            steps.add(new Step.Create(policy));
            undo.add(new Step.DeleteOwned(ObjectRef.of(policy), actionId));
            reversibility.add(Reversibility.reversible(
                    "create " + ObjectRef.of(policy) + ", which denies all ingress and egress of the pod",
                    "rollback deletes it"));
        }
        steps.add(relabel);
        undo.add(undoRelabel(pod, relabel));
        reversibility.add(Reversibility.reversible(
                "label " + podName + " " + StanchLabels.QUARANTINE + "=" + actionId, "rollback removes the label"));
        if (detachment != null && !detachment.moved().isEmpty()) {
            reversibility.add(Reversibility.reversible(
                    "move labels " + String.join(", ", detachment.moved().keySet()) + " of " + podName
                            + " into annotation " + StanchLabels.DETACHED_LABELS,
                    "rollback puts the labels back with their values and removes the annotation"
                            + (detachment.owner() == null
                                    ? ""
                                    : "; " + detachment.owner().describe(namespace) + " adopts the pod again and"
                                            + " may then remove a replica (not necessarily this one)")));
        }

        return new ActionPlan(
                actionId,
                ActionKind.QUARANTINE_POD,
                input.request().target(),
                params,
                summary(podName, created, detachment, namespace),
                steps,
                undo,
                List.of(pod),
                reversibility,
                diff.losses().stream().map(ConnectivityChange::toString).toList(),
                remaining.stream()
                        .map(Isolation::connection)
                        .map(Connection::toString)
                        .toList(),
                warnings);
    }

    /** What detaching does to the Services and the controller, and what it cannot do. */
    private static List<String> detachEffects(Detachment detachment, String namespace) {
        List<String> effects = new ArrayList<>();
        if (detachment.moved().isEmpty()) {
            effects.add("detach moves nothing: no Service or controller selects the pod by a label it has");
        }
        if (!detachment.services().isEmpty()) {
            effects.add("the pod leaves the endpoints of " + names("Service", namespace, detachment.services())
                    + ": they stop sending it traffic");
        }
        PodOwner owner = detachment.owner();
        if (owner != null) {
            String name = owner.describe(namespace);
            effects.add(
                    owner.isStatefulSet()
                            ? name + " no longer matches the pod and lets it go, but cannot start a replacement"
                                    + " while this pod keeps its name: that replica is missing until rollback;"
                                    + " the pod stays for forensics"
                            : name + " no longer matches the pod: it orphans it and starts a replacement; the pod"
                                    + " stays for forensics");
            effects.add("on rollback " + name + " adopts the pod again and may then remove one replica, not"
                    + " necessarily this one");
        }
        effects.addAll(detachment.notes());
        return effects;
    }

    private static String summary(
            String podName, List<HasMetadata> created, @Nullable Detachment detachment, String namespace) {
        StringBuilder summary = new StringBuilder("Quarantine ")
                .append(podName)
                .append(": keep it running for forensics and deny all its ingress and egress with ")
                .append(created.stream()
                        .map(ObjectRef::of)
                        .map(ObjectRef::toString)
                        .collect(Collectors.joining(" and ")))
                .append(" on the label ")
                .append(StanchLabels.QUARANTINE);
        if (detachment != null && !detachment.moved().isEmpty()) {
            summary.append("; detach it")
                    .append(
                            detachment.leaves(namespace).isEmpty()
                                    ? ""
                                    : " from " + String.join(" and ", detachment.leaves(namespace)))
                    .append(" by moving labels ")
                    .append(String.join(", ", detachment.moved().keySet()))
                    .append(" into the annotation ")
                    .append(StanchLabels.DETACHED_LABELS);
        }
        return summary.append('.').toString();
    }

    /** One step: the quarantine label, and with detach the moved labels and their annotation. */
    private static Step.Relabel relabel(
            Pod pod, String actionId, @Nullable Detachment detachment, Optional<PodOwner> owner) {
        boolean moves = detachment != null && !detachment.moved().isEmpty();
        Set<String> removed = new TreeSet<>(blockLabels(pod));
        Map<String, String> annotations = new TreeMap<>();
        if (moves) {
            removed.addAll(detachment.moved().keySet());
            annotations.put(StanchLabels.DETACHED_LABELS, detachment.annotation());
        }
        owner.ifPresent(o -> annotations.put(StanchLabels.QUARANTINED_FROM, o.uid()));
        return new Step.Relabel(
                ObjectRef.pod(
                        pod.getMetadata().getNamespace(), pod.getMetadata().getName()),
                Map.of(StanchLabels.QUARANTINE, actionId),
                removed,
                annotations,
                Set.of());
    }

    /**
     * The labels of earlier blocks on the pod. Each block's NetworkPolicy selects the pod by one and
     * allows all but one flow; NetworkPolicies add up, so while it selects the pod the deny-all adds
     * nothing. The quarantine takes them off (its undo puts them back, from the pre-image).
     */
    private static Set<String> blockLabels(Pod pod) {
        return TargetPod.labels(pod).keySet().stream()
                .filter(key -> key.startsWith(StanchLabels.BLOCK_PREFIX))
                .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }

    /**
     * Brings the pod's labels and annotations back to the pre-image: the moved labels with their
     * values, no quarantine label, and the detached-labels annotation as it was (absent, normally).
     */
    private static Step.Relabel undoRelabel(Pod pod, Step.Relabel relabel) {
        Map<String, String> labels = TargetPod.labels(pod);
        Map<String, String> restore = new TreeMap<>();
        relabel.removeLabels().forEach(key -> restore.put(key, labels.get(key)));
        Map<String, String> annotations = pod.getMetadata().getAnnotations() == null
                ? Map.of()
                : pod.getMetadata().getAnnotations();
        Map<String, String> setAnnotations = new TreeMap<>();
        Set<String> removeAnnotations = new TreeSet<>();
        for (String key : relabel.setAnnotations().keySet()) {
            if (annotations.containsKey(key)) {
                setAnnotations.put(key, annotations.get(key));
            } else {
                removeAnnotations.add(key);
            }
        }
        return new Step.Relabel(
                relabel.object(), restore, relabel.setLabels().keySet(), setAnnotations, removeAnnotations);
    }

    /** The pod as a Relabel step leaves it: what the "after" view is computed from. */
    private static Pod relabelled(Pod pod, Step.Relabel relabel) {
        return new PodBuilder(pod)
                .editMetadata()
                .withLabels(new TreeMap<>(relabel.labelsAfter(pod.getMetadata().getLabels())))
                .withAnnotations(
                        new TreeMap<>(relabel.annotationsAfter(pod.getMetadata().getAnnotations())))
                .endMetadata()
                .build();
    }

    /** The snapshot with the pod relabelled and the policies created. */
    private static ClusterSnapshot withChanges(
            ClusterSnapshot cluster,
            Pod pod,
            NetworkPolicy networkPolicy,
            @Nullable GenericKubernetesResource adminPolicy) {
        List<Pod> pods = cluster.pods().stream()
                .map(other -> Objects.equals(
                                other.getMetadata().getUid(), pod.getMetadata().getUid())
                        ? pod
                        : other)
                .toList();
        List<NetworkPolicy> networkPolicies = new ArrayList<>(cluster.networkPolicies());
        networkPolicies.add(networkPolicy);
        List<GenericKubernetesResource> adminPolicies = new ArrayList<>(cluster.adminPolicies());
        if (adminPolicy != null) {
            adminPolicies.add(adminPolicy);
        }
        return new ClusterSnapshot(
                cluster.server(),
                cluster.namespaces(),
                pods,
                networkPolicies,
                adminPolicies,
                cluster.ciliumPolicies(),
                cluster.workloads(),
                cluster.services(),
                cluster.serviceAccounts(),
                cluster.roleBindings(),
                cluster.clusterRoleBindings(),
                cluster.tokenSecrets());
    }

    private static String names(String kind, String namespace, List<? extends HasMetadata> objects) {
        return objects.stream()
                .map(object ->
                        kind + " " + namespace + "/" + object.getMetadata().getName())
                .collect(Collectors.joining(", "));
    }

    // ------------------------------------------------------------------------------ verify

    @Override
    public List<String> verify(ActionPlan plan, ClusterSnapshot cluster) {
        String namespace = plan.target().namespace();
        String name = plan.target().pod();
        String actionId = plan.actionId();
        List<String> problems = new ArrayList<>();
        for (Step step : plan.steps()) {
            if (step instanceof Step.Create create) {
                checkCreated(create.manifest(), actionId, cluster).ifPresent(problems::add);
            }
        }
        Optional<Pod> found = cluster.pod(namespace, name);
        if (found.isEmpty()) {
            problems.add("pod " + namespace + "/" + name + " no longer exists");
            return problems;
        }
        Pod pod = found.get();
        String plannedUid = plan.preImages().stream()
                .filter(Pod.class::isInstance)
                .map(object -> object.getMetadata().getUid())
                .findFirst()
                .orElse(null);
        if (plannedUid != null && !plannedUid.equals(pod.getMetadata().getUid())) {
            problems.add("pod " + namespace + "/" + name + " was replaced (uid "
                    + pod.getMetadata().getUid() + ", planned on " + plannedUid + "): the quarantined pod is gone");
            return problems;
        }
        Map<String, String> labels = TargetPod.labels(pod);
        if (!actionId.equals(labels.get(StanchLabels.QUARANTINE))) {
            problems.add(
                    "pod " + namespace + "/" + name + " lacks the label " + StanchLabels.QUARANTINE + "=" + actionId);
        }
        for (Step step : plan.steps()) {
            if (step instanceof Step.Relabel relabel) {
                relabel.removeLabels().stream()
                        .filter(labels::containsKey)
                        .sorted()
                        .forEach(key -> problems.add("pod " + namespace + "/" + name + " still has the label " + key
                                + ", which detach moves aside: its Services or controller may still select it"));
            }
        }
        if (problems.isEmpty() && !Isolation.finished(pod)) {
            problems.addAll(leaks(plan, cluster, pod));
        }
        return problems;
    }

    /** A created policy that is missing, or is not this action's. */
    private static Optional<String> checkCreated(HasMetadata manifest, String actionId, ClusterSnapshot cluster) {
        ObjectRef ref = ObjectRef.of(manifest);
        List<? extends HasMetadata> candidates =
                manifest instanceof NetworkPolicy ? cluster.networkPolicies() : cluster.adminPolicies();
        Optional<? extends HasMetadata> found = candidates.stream()
                .filter(object -> ref.kind().equals(object.getKind())
                        && ref.name().equals(object.getMetadata().getName())
                        && Objects.equals(ref.namespace(), object.getMetadata().getNamespace()))
                .findFirst();
        if (found.isEmpty()) {
            return Optional.of(ref + " is missing");
        }
        Map<String, String> labels = found.get().getMetadata().getLabels();
        if (labels == null || !actionId.equals(labels.get(StanchLabels.ACTION_ID))) {
            return Optional.of(ref + " does not carry " + StanchLabels.ACTION_ID + "=" + actionId
                    + ": it is not this action's policy");
        }
        return Optional.empty();
    }

    /** The connectivity the engine gives the pod now beyond what the plan said would remain. */
    private static List<String> leaks(ActionPlan plan, ClusterSnapshot cluster, Pod pod) {
        NetpolEngine engine = NetpolEngine.index(cluster.networkState());
        List<ConnectivityChange> beyond = Isolation.remaining(engine, pod).stream()
                .filter(change -> !Isolation.planned(Isolation.connection(change), plan.connectivityRemaining()))
                .toList();
        if (beyond.isEmpty()) {
            return List.of();
        }
        String allowedBy = String.join(", ", Isolation.allowedBy(engine, cluster, beyond));
        return beyond.stream()
                .map(change -> "connectivity remains beyond the plan: " + Isolation.connection(change)
                        + (allowedBy.isEmpty() ? "" : " (allowed by " + allowedBy + ")"))
                .toList();
    }
}
