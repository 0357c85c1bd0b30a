package dev.stanch.action;

import dev.stanch.netpol.ClusterState;
import dev.stanch.netpol.ConnectionSet;
import dev.stanch.netpol.ConnectivityChange;
import dev.stanch.netpol.ConnectivityDiff;
import dev.stanch.netpol.Direction;
import dev.stanch.netpol.Endpoint;
import dev.stanch.netpol.IpRange;
import dev.stanch.netpol.NetpolEngine;
import dev.stanch.netpol.PolicyRef;
import dev.stanch.netpol.Protocol;
import dev.stanch.playbook.ActionKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * block-connection: cut one flow of one pod — egress to a peer, or ingress from it — and nothing else.
 *
 * <p>The pod gets a label of its own (its siblings keep all their traffic) and a NetworkPolicy on
 * that label allows everything but the flow ({@link BlockPolicies}). That works only while no other
 * policy allows the flow, because allowed rules add up; the planner proves with the policy engine,
 * before anything changes, that the flow is cut, that nothing else is lost and nothing is opened.
 * When a NetworkPolicy cannot do it, a deny rule can — on a Cilium cluster a CiliumNetworkPolicy
 * {@code egressDeny}/{@code ingressDeny} ({@link CiliumPolicies}), elsewhere an admin-tier {@code
 * Deny} (a ClusterNetworkPolicy or an AdminNetworkPolicy) where the cluster has the API and it can
 * name the flow; otherwise the planner refuses and says why, so that the playbook can escalate.
 *
 * <p>Parameters: {@code direction}, {@code protocol}, {@code peerIp}, {@code peerPort} (from the
 * detection) and {@code granularity}: {@code port} cuts only peer:port where the server supports
 * {@code endPort} (1.25+), else the whole address — the plan says which.
 */
public final class BlockConnection implements ActionType {

    static final BlockConnection INSTANCE = new BlockConnection();

    private static final List<RbacRule> RBAC = List.of(
            RbacRule.of("", "pods", "get,update", "label the pod (and a peer pod) so that one policy selects it alone"),
            RbacRule.of(
                    "networking.k8s.io",
                    "networkpolicies",
                    "get,create,update,delete",
                    "create a block's policy, align the pod's other block policies, delete it on rollback"),
            RbacRule.of(
                    "policy.networking.k8s.io",
                    "clusternetworkpolicies",
                    "get,create,delete",
                    "deny a flow that a NetworkPolicy already allows, where the cluster has ClusterNetworkPolicy"),
            RbacRule.of(
                    "policy.networking.k8s.io",
                    "adminnetworkpolicies",
                    "get,create,delete",
                    "deny a flow that a NetworkPolicy already allows, where the cluster has AdminNetworkPolicy"
                            + " but not ClusterNetworkPolicy"),
            RbacRule.of(
                    "cilium.io",
                    "ciliumnetworkpolicies",
                    "get,create,delete",
                    "deny a flow that a NetworkPolicy already allows, where the cluster has Cilium (1.16+) and"
                            + " no admin-tier policy API that can name the flow"));

    private BlockConnection() {}

    @Override
    public ActionKind kind() {
        return ActionKind.BLOCK_CONNECTION;
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
        if (Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return Planning.refuse(
                    Refusal.UNSUPPORTED,
                    "pod " + input.namespace() + "/" + input.pod()
                            + " uses the host's network: NetworkPolicy does not apply to it");
        }
        Request request;
        try {
            request = Request.of(input.request().params());
        } catch (IllegalArgumentException e) {
            return Planning.refuse(Refusal.INVALID, e.getMessage());
        }
        List<Pod> peerPods = cluster.podsWithIp(request.peerIp);
        if (peerPods.size() > 1) {
            return Planning.refuse(
                    Refusal.INVALID,
                    "the peer " + request.peerIp + " is the address of several live pods ("
                            + peerPods.stream()
                                    .map(p -> p.getMetadata().getNamespace() + "/"
                                            + p.getMetadata().getName())
                                    .sorted()
                                    .collect(Collectors.joining(", "))
                            + "): Stanch cannot tell which one the detector saw");
        }
        Optional<Pod> peerPod = peerPods.stream().findFirst();
        if (peerPod.isPresent()) {
            String peerNamespace = peerPod.get().getMetadata().getNamespace();
            if (peerPod.get().getMetadata().getUid().equals(pod.getMetadata().getUid())) {
                return Planning.refuse(Refusal.INVALID, "the peer " + request.peerIp + " is the pod itself");
            }
            if (input.safety().isProtected(peerNamespace)) {
                return Planning.refuse(
                        Refusal.PROTECTED,
                        "the peer " + request.peerIp + " is pod " + peerNamespace + "/"
                                + peerPod.get().getMetadata().getName()
                                + " in protected namespace " + peerNamespace
                                + ": Stanch does not label it, and cannot tell it apart otherwise");
            }
        }
        List<String> warnings = new ArrayList<>();
        boolean portAsked = request.port != null && request.granularity.equals("port");
        if (request.granularity.equals("port") && request.port == null) {
            warnings.add(
                    request.direction == Direction.EGRESS
                            ? "the detection names no peer port: every port of " + request.peerIp + " is cut"
                            : "the detection names no port of the pod: everything from " + request.peerIp + " is cut");
        }
        // A NetworkPolicy can leave the peer's other ports open only with endPort; an admin-tier
        // policy names the port it denies, on any server.
        boolean byPort = portAsked && cluster.server().supportsEndPort();
        String actionId = input.actionId();
        String peerLabel = peerPod.isPresent() ? StanchLabels.peerLabel(actionId) : null;
        Flow subject = new Flow(
                pod,
                peerPod.orElse(null),
                request,
                new BlockedFlow(
                        request.peerIp, peerLabel, byPort ? request.protocol : null, byPort ? request.port : null));
        Flow denied = new Flow(
                pod,
                peerPod.orElse(null),
                request,
                new BlockedFlow(
                        request.peerIp,
                        peerLabel,
                        portAsked ? request.protocol : null,
                        portAsked ? request.port : null));

        NetpolEngine before = NetpolEngine.index(cluster.networkState());
        if (subject.harmStopped(before)) {
            return Planning.refuse(
                    Refusal.ALREADY_IN_EFFECT,
                    "the flow " + subject.describe() + " is already denied: " + subject.explain(before)
                            + " (if it happened anyway, the network plugin does not enforce NetworkPolicy)");
        }

        String policyName = BlockPolicies.name(actionId);
        boolean nameTaken = cluster.networkPolicies().stream()
                        .anyMatch(p -> policyName.equals(p.getMetadata().getName())
                                && input.namespace().equals(p.getMetadata().getNamespace()))
                || cluster.adminPolicies().stream()
                        .anyMatch(p -> policyName.equals(p.getMetadata().getName()))
                || cluster.ciliumPolicies().stream()
                        .anyMatch(p -> policyName.equals(p.getMetadata().getName())
                                && input.namespace().equals(p.getMetadata().getNamespace()));
        if (nameTaken) {
            return Planning.refuse(
                    Refusal.INVALID, "a policy named " + policyName + " exists already: action ids must be unique");
        }
        List<NetworkPolicy> siblings = siblings(cluster, pod, request.direction);
        Candidate byNetworkPolicy = networkPolicy(input, cluster, pod, subject, siblings, before.state());
        Check byNetworkPolicyCheck = byNetworkPolicy.check(before, subject);
        List<String> problems = new ArrayList<>(byNetworkPolicyCheck.problems());
        ConnectivityDiff diff = byNetworkPolicyCheck.diff();
        // A Cilium policy's allow rules and default-deny mode are outside the engine's model: where one
        // selects the pod, a NetworkPolicy (which only adds allows) may open what it drops, or leave
        // open what it allows, and the engine could not tell. A Cilium deny only takes away.
        List<PolicyRef> unmodelled =
                before.unmodelled(new Endpoint.Pod(input.namespace(), input.pod()), request.direction);
        if (!unmodelled.isEmpty()) {
            problems.add(unmodelled.stream().map(PolicyRef::toString).collect(Collectors.joining(", "))
                    + " select" + (unmodelled.size() == 1 ? "s" : "") + " the pod for " + request.direction.word()
                    + " with allow rules or a default-deny mode that the policy engine does not model, so what a"
                    + " NetworkPolicy would change cannot be proven");
        }
        Candidate chosen = byNetworkPolicy;
        if (!problems.isEmpty()) {
            String noNetworkPolicy =
                    "a NetworkPolicy cannot cut " + subject.describe() + ": " + String.join("; ", problems);
            ServerInfo server = cluster.server();
            // The deny-capable APIs: where the cluster serves Cilium's CRDs, Cilium is the network
            // plugin (its operator installs them), and it enforces its own deny rules always, but
            // AdminNetworkPolicy never and ClusterNetworkPolicy only from 1.20 where enabled: so a
            // CiliumNetworkPolicy there; elsewhere an admin-tier policy where one can name this flow.
            Optional<AdminPolicies.Api> adminApi = AdminPolicies.Api.of(server);
            String adminLimit = null;
            if (adminApi.isPresent() && request.direction == Direction.INGRESS && peerPod.isEmpty()) {
                adminLimit = "an admin-tier policy cannot name an external source for ingress";
            } else if (adminApi.isPresent() && !AdminPolicies.hasNameLabel(cluster, input.namespace())) {
                adminLimit = "namespace " + input.namespace() + " has no label " + AdminPolicies.NAMESPACE_NAME_LABEL
                        + " (set from 1.21 on) by which a " + adminApi.get().kind + " could select it";
            }
            Candidate byDenial;
            if (server.hasCiliumNetworkPolicy()) {
                if (!server.ciliumDeclaresEnableDefaultDeny()) {
                    return Planning.refuse(
                            Refusal.UNSUPPORTED,
                            noNetworkPolicy + "; and the cluster's " + CiliumPolicies.KIND
                                    + " has no enableDefaultDeny (Cilium 1.16+): a policy of deny rules alone would"
                                    + " put the pod into default deny and cut all its other "
                                    + request.direction.word() + " traffic (and Cilium enforces no"
                                    + " AdminNetworkPolicy, nor ClusterNetworkPolicy before 1.20)");
                }
                byDenial = ciliumPolicy(input, cluster, pod, denied, before.state());
            } else if (adminApi.isPresent() && adminLimit == null) {
                byDenial = adminPolicy(adminApi.get(), input, cluster, pod, denied, warnings, before.state());
            } else if (adminLimit != null) {
                return Planning.refuse(Refusal.UNSUPPORTED, noNetworkPolicy + "; and " + adminLimit);
            } else {
                return Planning.refuse(
                        Refusal.UNSUPPORTED,
                        noNetworkPolicy + "; and the cluster has no API that can deny (looked for "
                                + ServerInfo.CLUSTER_NETWORK_POLICY + ", " + ServerInfo.ADMIN_NETWORK_POLICY + " and "
                                + ServerInfo.CILIUM_NETWORK_POLICY + ")");
            }
            String kind = byDenial.policy.getKind();
            Check denialCheck = byDenial.check(before, denied);
            List<String> denialProblems = denialCheck.problems();
            if (!denialProblems.isEmpty()) {
                return Planning.refuse(
                        Refusal.INEFFECTIVE,
                        "neither a NetworkPolicy (" + String.join("; ", problems) + ") nor a " + kind + " ("
                                + String.join("; ", denialProblems) + ") cuts " + subject.describe());
            }
            warnings.add("a NetworkPolicy would not cut the flow (" + String.join("; ", problems) + "): a " + kind
                    + " denies it instead");
            chosen = byDenial;
            diff = denialCheck.diff();
            byPort = portAsked;
        } else if (portAsked && !byPort) {
            warnings.add("the API server (" + cluster.server() + ") has no NetworkPolicy endPort (1.25+): "
                    + (request.direction == Direction.EGRESS
                            ? "every port of " + request.peerIp + " is cut, not only " + request.port
                            : "everything from " + request.peerIp + " is cut, not only to port " + request.port));
        }

        warnings.add("a policy stops new connections; an established one may survive where the network"
                + " plugin keeps connection-tracking entries (Calico, Antrea)");
        cluster.services().stream()
                .filter(service -> service.getSpec() != null
                        && request.peerIp.equals(service.getSpec().getClusterIP()))
                .forEach(service -> warnings.add("the peer " + request.peerIp + " is the cluster IP of Service "
                        + service.getMetadata().getName()
                        + ": network plugins match policies on the endpoints behind it, so the block may not"
                        + " cut traffic sent to the Service"));
        peerPod.ifPresent(
                peer -> warnings.add("the peer is pod " + peer.getMetadata().getNamespace() + "/"
                        + peer.getMetadata().getName() + ": it gets the label " + StanchLabels.peerLabel(actionId)
                        + " so that the policy can leave it out"));

        Map<String, Object> params = new LinkedHashMap<>(input.request().params());
        params.put("granularity", byPort ? "port" : "address");
        params.put("policy", chosen.policy.getKind());
        peerPod.ifPresent(peer -> params.put(
                "peerPod",
                peer.getMetadata().getNamespace() + "/" + peer.getMetadata().getName()));

        List<HasMetadata> preImages = new ArrayList<>();
        preImages.add(pod);
        peerPod.ifPresent(preImages::add);
        if (chosen == byNetworkPolicy) {
            preImages.addAll(siblings);
        }
        List<Reversibility> reversibility = List.of(Reversibility.reversible(
                "label " + ObjectRef.of(pod) + " and create " + ObjectRef.of(chosen.policy),
                "rollback deletes the policy and removes the labels"
                        + (chosen == byNetworkPolicy ? "; the pod's other block policies are aligned again" : "")));
        List<String> lost =
                diff.losses().stream().map(ConnectivityChange::toString).toList();
        String summary = "Cut " + subject.describe() + " with " + chosen.policy.getKind() + " "
                + chosen.policy.getMetadata().getName() + "; the pod keeps all its other traffic.";
        return new Planning.Planned(new ActionPlan(
                actionId,
                kind(),
                input.request().target(),
                params,
                summary,
                chosen.steps,
                chosen.undo,
                preImages,
                reversibility,
                lost,
                List.of(),
                warnings));
    }

    @Override
    public List<String> verify(ActionPlan plan, ClusterSnapshot cluster) {
        List<String> problems = new ArrayList<>();
        Optional<Pod> pod = cluster.pod(plan.target().namespace(), plan.target().pod());
        if (pod.isEmpty()) {
            return List.of(
                    "pod " + plan.target().namespace() + "/" + plan.target().pod() + " is gone");
        }
        if (!TargetPod.labels(pod.get()).containsKey(StanchLabels.blockLabel(plan.actionId()))) {
            problems.add("pod " + plan.target().pod() + " lacks the label " + StanchLabels.blockLabel(plan.actionId()));
        }
        String policyName = BlockPolicies.name(plan.actionId());
        Object kind = plan.params().get("policy");
        List<? extends HasMetadata> policies = switch (String.valueOf(kind)) {
            case "NetworkPolicy" -> cluster.networkPolicies();
            case CiliumPolicies.KIND -> cluster.ciliumPolicies();
            default -> cluster.adminPolicies();
        };
        boolean present = policies.stream()
                .anyMatch(p ->
                        owned(p, policyName, plan.actionId()) && p.getKind().equals(kind));
        if (!present) {
            problems.add(plan.params().get("policy") + " " + policyName + " is missing");
        }
        Request request = Request.of(plan.params());
        Object peerPodName = plan.params().get("peerPod");
        Pod peerPod = peerPodName == null
                ? null
                : cluster.pod(
                                peerPodName.toString().split("/")[0],
                                peerPodName.toString().split("/")[1])
                        .orElse(null);
        boolean byPort = "port".equals(plan.params().get("granularity"));
        BlockedFlow flow =
                new BlockedFlow(request.peerIp, null, byPort ? request.protocol : null, byPort ? request.port : null);
        Flow subject = new Flow(pod.get(), peerPod, request, flow);
        NetpolEngine engine = NetpolEngine.index(cluster.networkState());
        ConnectionSet open = subject.open(engine).intersect(flow.connections());
        if (!open.isEmpty()) {
            problems.add("the policy engine still allows " + open + " for " + subject.describe() + ": "
                    + subject.explain(engine));
        }
        return problems;
    }

    private static boolean owned(HasMetadata object, String name, String actionId) {
        Map<String, String> labels = object.getMetadata().getLabels();
        return name.equals(object.getMetadata().getName())
                && labels != null
                && actionId.equals(labels.get(StanchLabels.ACTION_ID));
    }

    /** The NetworkPolicies that cut other flows of this pod in this direction. */
    private static List<NetworkPolicy> siblings(ClusterSnapshot cluster, Pod pod, Direction direction) {
        return cluster.networkPolicies().stream()
                .filter(policy -> {
                    Map<String, String> labels = policy.getMetadata().getLabels();
                    return labels != null
                            && StanchLabels.MANAGED_BY_VALUE.equals(labels.get(StanchLabels.MANAGED_BY))
                            && pod.getMetadata().getUid().equals(labels.get(StanchLabels.POD_UID))
                            && direction.word().equals(labels.get(StanchLabels.DIRECTION))
                            && pod.getMetadata()
                                    .getNamespace()
                                    .equals(policy.getMetadata().getNamespace());
                })
                .toList();
    }

    /**
     * One way to cut the flow: the policy, the steps, and the cluster as it would be.
     *
     * @param policy the policy created
     * @param steps the apply steps
     * @param undo the rollback steps
     * @param after the policy engine over the cluster with the steps applied
     */
    private record Candidate(HasMetadata policy, List<Step> steps, List<Step> undo, NetpolEngine after) {

        /** Why this candidate would not do — the flow stays open, or other flows change — and its diff. */
        Check check(NetpolEngine before, Flow flow) {
            List<String> problems = new ArrayList<>();
            ConnectionSet open = flow.open(after).intersect(flow.blocked.connections());
            if (!open.isEmpty()) {
                problems.add("the flow stays open (" + flow.explain(after) + ")");
            }
            ConnectivityDiff diff = NetpolEngine.diff(before, after, flow.subjectEndpoint());
            for (ConnectivityChange change : diff.changes()) {
                if (!change.gained().isEmpty()) {
                    problems.add("it would open " + change);
                } else if (!change.lost().isEmpty()
                        && (change.direction() != flow.request.direction
                                || !flow.isPeer(change.peer())
                                || !change.lost()
                                        .minus(flow.blocked.connections())
                                        .isEmpty())) {
                    problems.add("it would also cut " + change);
                }
            }
            return new Check(problems, diff);
        }
    }

    /**
     * A candidate judged by the engine.
     *
     * @param problems why it would not do; empty when it does
     * @param diff the pod's connectivity before vs after it: the plan's connectivity lost
     */
    private record Check(List<String> problems, ConnectivityDiff diff) {}

    private static Candidate networkPolicy(
            PlanInput input,
            ClusterSnapshot cluster,
            Pod pod,
            Flow flow,
            List<NetworkPolicy> siblings,
            ClusterState before) {
        String actionId = input.actionId();
        String uid = pod.getMetadata().getUid();
        Direction direction = flow.request.direction;
        List<BlockedFlow> flows = new ArrayList<>();
        siblings.forEach(sibling -> flows.add(BlockedFlow.decode(BlockPolicies.blockedFlowOf(sibling))));
        flows.add(flow.blocked);
        NetworkPolicy policy = BlockPolicies.policy(input.namespace(), actionId, uid, direction, flow.blocked, flows);

        List<NetworkPolicy> policies = new ArrayList<>(cluster.networkPolicies());
        policies.removeAll(siblings);
        siblings.forEach(sibling -> policies.add(new NetworkPolicyBuilder(sibling)
                .withSpec(BlockPolicies.alignedSpec(
                        sibling, flows.stream().map(BlockedFlow::encode).toList()))
                .build()));
        policies.add(policy);
        ClusterSnapshot after = labelled(cluster, actionId, pod, flow.peer).withNetworkPolicies(policies);

        ObjectRef podRef = ObjectRef.of(pod);
        Step.SyncBlockPolicies sync = new Step.SyncBlockPolicies(podRef, uid, direction);
        List<Step> steps = new ArrayList<>(label(actionId, pod, flow.peer));
        steps.add(new Step.Create(policy));
        steps.add(sync);
        List<Step> undo = new ArrayList<>();
        undo.add(new Step.DeleteOwned(ObjectRef.of(policy), actionId));
        undo.add(sync);
        undo.addAll(unlabel(actionId, pod, flow.peer));
        return new Candidate(policy, steps, undo, NetpolEngine.index(after.networkState(before)));
    }

    private static Candidate adminPolicy(
            AdminPolicies.Api api,
            PlanInput input,
            ClusterSnapshot cluster,
            Pod pod,
            Flow flow,
            List<String> warnings,
            ClusterState before) {
        String actionId = input.actionId();
        AdminPolicies.Priority priority = AdminPolicies.priority(cluster.adminPolicies());
        if (!priority.tiedWith().isEmpty()) {
            warnings.add("the " + api.kind + " takes priority 0, which " + String.join(", ", priority.tiedWith())
                    + " has too: the API leaves the order of equal priorities undefined");
        }
        GenericKubernetesResource policy = AdminPolicies.block(
                api, input.namespace(), actionId, flow.request.direction, flow.blocked, priority.value(), flow.peer);
        List<GenericKubernetesResource> policies = new ArrayList<>(cluster.adminPolicies());
        policies.add(policy);
        return denial(
                actionId,
                pod,
                flow.peer,
                policy,
                labelled(cluster, actionId, pod, flow.peer).withAdminPolicies(policies),
                before);
    }

    private static Candidate ciliumPolicy(
            PlanInput input, ClusterSnapshot cluster, Pod pod, Flow flow, ClusterState before) {
        String actionId = input.actionId();
        GenericKubernetesResource policy =
                CiliumPolicies.block(input.namespace(), actionId, flow.request.direction, flow.blocked, flow.peer);
        List<GenericKubernetesResource> policies = new ArrayList<>(cluster.ciliumPolicies());
        policies.add(policy);
        return denial(
                actionId,
                pod,
                flow.peer,
                policy,
                labelled(cluster, actionId, pod, flow.peer).withCiliumPolicies(policies),
                before);
    }

    /** A policy that denies the flow: label, create; undo by deleting it and removing the labels. */
    private static Candidate denial(
            String actionId,
            Pod pod,
            @Nullable Pod peer,
            GenericKubernetesResource policy,
            ClusterSnapshot after,
            ClusterState before) {
        List<Step> steps = new ArrayList<>(label(actionId, pod, peer));
        steps.add(new Step.Create(policy));
        List<Step> undo = new ArrayList<>();
        undo.add(new Step.DeleteOwned(ObjectRef.of(policy), actionId));
        undo.addAll(unlabel(actionId, pod, peer));
        return new Candidate(policy, steps, undo, NetpolEngine.index(after.networkState(before)));
    }

    private static List<Step> label(String actionId, Pod pod, @Nullable Pod peer) {
        List<Step> steps = new ArrayList<>();
        steps.add(Step.Relabel.labels(ObjectRef.of(pod), Map.of(StanchLabels.blockLabel(actionId), "true"), Set.of()));
        if (peer != null) {
            steps.add(Step.Relabel.labels(
                    ObjectRef.of(peer), Map.of(StanchLabels.peerLabel(actionId), "true"), Set.of()));
        }
        return steps;
    }

    private static List<Step> unlabel(String actionId, Pod pod, @Nullable Pod peer) {
        List<Step> steps = new ArrayList<>();
        steps.add(Step.Relabel.labels(ObjectRef.of(pod), Map.of(), Set.of(StanchLabels.blockLabel(actionId))));
        if (peer != null) {
            steps.add(Step.Relabel.labels(ObjectRef.of(peer), Map.of(), Set.of(StanchLabels.peerLabel(actionId))));
        }
        return steps;
    }

    /** The snapshot with the pod (and peer pod) carrying the block's labels. */
    private static ClusterSnapshot labelled(ClusterSnapshot cluster, String actionId, Pod pod, @Nullable Pod peer) {
        Pod[] pods = cluster.pods().toArray(Pod[]::new);
        for (int i = 0; i < pods.length; i++) {
            if (pods[i] == pod) {
                pods[i] = withLabel(pod, StanchLabels.blockLabel(actionId));
            } else if (pods[i] == peer) {
                pods[i] = withLabel(peer, StanchLabels.peerLabel(actionId));
            }
        }
        return cluster.withPods(Arrays.asList(pods));
    }

    private static Pod withLabel(Pod pod, String key) {
        return new io.fabric8.kubernetes.api.model.PodBuilder(pod)
                .editMetadata()
                .addToLabels(key, "true")
                .endMetadata()
                .build();
    }

    /**
     * The parameters of a block, checked.
     *
     * @param direction egress or ingress
     * @param protocol the protocol
     * @param peerIp the peer's address, canonical
     * @param port the peer's port, if known
     * @param granularity {@code port} or {@code address}, as asked
     */
    private record Request(
            Direction direction,
            Protocol protocol,
            String peerIp,
            @Nullable Integer port,
            String granularity) {

        static Request of(Map<String, Object> params) {
            Object direction = params.get("direction");
            Object protocol = params.get("protocol");
            Object peerIp = params.get("peerIp");
            if (direction == null || protocol == null || peerIp == null) {
                throw new IllegalArgumentException(
                        "block-connection needs direction, protocol and peerIp from the detection's connection");
            }
            Direction dir = switch (direction.toString()) {
                case "egress" -> Direction.EGRESS;
                case "ingress" -> Direction.INGRESS;
                default -> throw new IllegalArgumentException("direction must be egress or ingress: " + direction);
            };
            Protocol proto;
            try {
                proto = Protocol.valueOf(protocol.toString().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("protocol must be tcp, udp or sctp: " + protocol, e);
            }
            String ip;
            try {
                ip = BlockedFlow.canonical(peerIp.toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("peerIp is not an IP address: '" + peerIp + "'", e);
            }
            if (ip.equals("0.0.0.0") || ip.equals("::")) {
                throw new IllegalArgumentException(
                        "the peer is " + ip + " (a listening socket): there is no single peer to cut");
            }
            // The port a policy can match is the one on the receiving end: the peer's for egress,
            // the pod's own for ingress (the peer's port there is a client's ephemeral port).
            String portName = dir == Direction.EGRESS ? "peerPort" : "localPort";
            Object portValue = params.get(portName);
            Integer port = null;
            if (portValue != null) {
                if (!(portValue instanceof Number number) || number.longValue() < 1 || number.longValue() > 65535) {
                    throw new IllegalArgumentException(portName + " must be 1-65535: " + portValue);
                }
                port = number.intValue();
            }
            Object granularity = params.getOrDefault("granularity", "port");
            if (!granularity.equals("port") && !granularity.equals("address")) {
                throw new IllegalArgumentException("granularity must be port or address: " + granularity);
            }
            return new Request(dir, proto, ip, port, granularity.toString());
        }
    }

    /**
     * The flow being cut, between the pod and its peer, as the policy engine names them.
     *
     * @param pod the pod acted on
     * @param peer the peer, when it is a pod
     * @param request the parameters
     * @param blocked what the block cuts
     */
    private record Flow(Pod pod, @Nullable Pod peer, Request request, BlockedFlow blocked) {

        Endpoint subjectEndpoint() {
            return Endpoint.pod(
                    pod.getMetadata().getNamespace(), pod.getMetadata().getName());
        }

        Endpoint peerEndpoint() {
            return peer == null
                    ? Endpoint.address(request.peerIp)
                    : Endpoint.pod(
                            peer.getMetadata().getNamespace(),
                            peer.getMetadata().getName());
        }

        boolean isPeer(Endpoint endpoint) {
            return switch (endpoint) {
                // A pod peer's address is in the policy's ipBlock except too (for plugins whose
                // ipBlocks match pod IPs); the engine reports that as an external address.
                case Endpoint.External external -> external.range().equals(IpRange.address(request.peerIp));
                case Endpoint.Pod other ->
                    peer != null
                            && other.namespace().equals(peer.getMetadata().getNamespace())
                            && other.name().equals(peer.getMetadata().getName());
                case Endpoint.Workload workload -> false;
            };
        }

        /** What the engine allows between the two ends, in the flow's direction. */
        ConnectionSet open(NetpolEngine engine) {
            return request.direction == Direction.EGRESS
                    ? engine.connections(subjectEndpoint(), peerEndpoint())
                    : engine.connections(peerEndpoint(), subjectEndpoint());
        }

        /** True when what the detection saw can no longer happen. */
        boolean harmStopped(NetpolEngine engine) {
            ConnectionSet open = open(engine);
            return request.port == null ? open.isEmpty() : !open.contains(request.protocol, request.port);
        }

        String explain(NetpolEngine engine) {
            int port = request.port == null ? 1 : request.port;
            return (request.direction == Direction.EGRESS
                            ? engine.allowed(subjectEndpoint(), peerEndpoint(), request.protocol, port)
                            : engine.allowed(peerEndpoint(), subjectEndpoint(), request.protocol, port))
                    .explain();
        }

        /** {@code pod -> peer:port (TCP)} for egress, {@code peer -> pod:port (TCP)} for ingress. */
        String describe() {
            String port = request.port == null ? "" : ":" + request.port;
            String podText =
                    pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
            String protocol = " (" + request.protocol.name() + ")";
            return request.direction == Direction.EGRESS
                    ? podText + " -> " + request.peerIp + port + protocol
                    : request.peerIp + " -> " + podText + port + protocol;
        }
    }
}
