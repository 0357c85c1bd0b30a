package dev.stanch.netpol;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Evaluates the network policies of one {@link ClusterState}: NetworkPolicy, AdminNetworkPolicy,
 * BaselineAdminNetworkPolicy, ClusterNetworkPolicy and the deny rules of Cilium's policies, tier by
 * tier, as a CNI plugin would.
 *
 * <p>{@link #index} does the expensive work once — which policies select which pod, which
 * namespaces each namespace selector matches — so that a query only walks the policies that select
 * the two ends of a connection. Instances are immutable and safe to share between threads.
 *
 * <p>Model (as np-guard's netpol-analyzer): pods are matched by selectors only, never by ipBlocks
 * or networks, which match external addresses; a workload stands for its pods through its template;
 * traffic between a pod and itself is always allowed.
 */
public final class NetpolEngine {

    private static final int[] NONE = new int[0];

    private final ClusterState state;
    private final List<String> namespaceNames = new ArrayList<>();
    private final List<Map<String, String>> namespaceLabels = new ArrayList<>();
    private final Map<String, Integer> namespaceIds = new HashMap<>();
    private final Map<Selector, BitSet> namespaceSelections = new HashMap<>();
    private final PodEntry[] pods;
    private final Map<String, PodEntry> podsByName = new HashMap<>();
    private final Map<IpRange, PodEntry> podsByAddress = new HashMap<>();
    private final Map<Endpoint, List<PodEntry>> podsByOwner = new LinkedHashMap<>();
    private final Map<Endpoint, List<PodEntry>> nodes = new LinkedHashMap<>();
    private final CompiledPolicy[] networkPolicies;
    /** Cilium's deny rules, then the admin and baseline tiers: the models of {@link #tiered}. */
    private final CompiledPolicy[] clusterPolicies;

    private final Set<SelectorUse> selectorUses = new LinkedHashSet<>();
    private boolean namedPortsUsed;
    private final List<IpSet> ingressBlocks = new ArrayList<>();
    private final List<IpSet> egressBlocks = new ArrayList<>();
    private final TreeSet<BigInteger> ipv4Boundaries;
    private final TreeSet<BigInteger> ipv6Boundaries;

    private NetpolEngine(ClusterState state) {
        this.state = state;
        state.namespaces().forEach(this::namespace);
        pods = new PodEntry[state.pods().size()];
        for (int i = 0; i < pods.length; i++) {
            PodModel model = state.pods().get(i);
            PodEntry entry = new PodEntry(i, model, namespace(model.namespace(), null));
            pods[i] = entry;
            if (!model.template()) {
                podsByName.put(key(model.namespace(), model.name()), entry);
                model.addresses().forEach(address -> podsByAddress.putIfAbsent(address, entry));
            }
            podsByOwner
                    .computeIfAbsent(model.node(), owner -> new ArrayList<>())
                    .add(entry);
        }
        for (PodEntry entry : pods) {
            podsByName.putIfAbsent(key(entry.model.namespace(), entry.model.name()), entry);
        }
        state.networkPolicies().forEach(policy -> namespace(policy.namespace(), null));

        networkPolicies = state.networkPolicies().stream().map(this::compile).toArray(CompiledPolicy[]::new);
        clusterPolicies = tiered(state).stream().map(this::compile).toArray(CompiledPolicy[]::new);
        selectPods();
        groupNodes();
        List<IpSet> blocks = new ArrayList<>(ingressBlocks);
        blocks.addAll(egressBlocks);
        ipv4Boundaries = IpPartition.boundaries(blocks, false);
        ipv6Boundaries = IpPartition.boundaries(blocks, true);
    }

    /** The rule-ordered policies of every tier, in the order {@link #clusterPolicies} holds them. */
    private static List<TieredPolicyModel> tiered(ClusterState state) {
        List<TieredPolicyModel> tiered = new ArrayList<>(state.ciliumPolicies());
        tiered.addAll(state.adminPolicies());
        return tiered;
    }

    /** Indexes a cluster view for queries. */
    public static NetpolEngine index(ClusterState state) {
        return new NetpolEngine(Objects.requireNonNull(state, "state"));
    }

    public ClusterState state() {
        return state;
    }

    /**
     * The nodes of the connectivity report, sorted: one per workload, one per bare pod, and one per
     * pod of a workload whose pods the policies tell apart.
     */
    public List<Endpoint> nodes() {
        return nodes.keySet().stream()
                .sorted(Comparator.comparing(Endpoint::toString))
                .toList();
    }

    // ---------------------------------------------------------------------- queries

    /**
     * Whether {@code source} may open a connection to {@code destination} on this protocol and port,
     * and why. At least one end must be in the cluster. An external range is allowed only when every
     * address in it is; a workload end must have pods that policies cannot tell apart (else name a
     * pod).
     *
     * @throws IllegalArgumentException for an unknown pod or workload, two external ends, or a port
     *     outside 1–65535
     */
    public Verdict allowed(Endpoint source, Endpoint destination, Protocol protocol, int port) {
        Objects.requireNonNull(protocol, "protocol");
        if (port < PortSet.MIN || port > PortSet.MAX) {
            throw new IllegalArgumentException("not a port: " + port);
        }
        Party from = resolve(source);
        Party to = resolve(destination);
        requireOneInside(from, to);
        Verdict first = null;
        for (Party sourcePart : split(from)) {
            for (Party destinationPart : split(to)) {
                Verdict verdict = verdict(sourcePart, destinationPart, protocol, port);
                if (!verdict.allowed()) {
                    return verdict;
                }
                if (first == null) {
                    first = verdict;
                }
            }
        }
        return Objects.requireNonNull(first);
    }

    /**
     * The Cilium policies that select this pod with what the engine does not model in this direction
     * — allow rules, or Cilium's default-deny mode. For such a pod the cluster may allow or drop
     * traffic the engine's answers do not show, so a change whose effect depends on what is allowed
     * today (a NetworkPolicy, which only adds allows) cannot be proven. Empty without them.
     *
     * @throws IllegalArgumentException for a pod not in this view
     */
    public List<PolicyRef> unmodelled(Endpoint.Pod pod, Direction direction) {
        PodEntry entry = podsByName.get(key(pod.namespace(), pod.name()));
        if (entry == null) {
            throw new IllegalArgumentException("no pod " + pod + " in this view");
        }
        return List.copyOf(direction == Direction.INGRESS ? entry.unmodelledIngress : entry.unmodelledEgress);
    }

    /**
     * Every protocol and port on which {@code source} may open connections to {@code destination}
     * (for an external range: those allowed for every address in it).
     */
    public ConnectionSet connections(Endpoint source, Endpoint destination) {
        Party from = resolve(source);
        Party to = resolve(destination);
        requireOneInside(from, to);
        ConnectionSet result = ConnectionSet.ALL;
        for (Party sourcePart : split(from)) {
            for (Party destinationPart : split(to)) {
                result = result.intersect(connections(sourcePart, destinationPart));
            }
        }
        return result;
    }

    /**
     * The connectivity report: every pair of distinct nodes with the connections allowed from the
     * first to the second, sorted as np-guard's {@code list} command prints them. External sources
     * are the ranges that ingress ipBlocks distinguish; external destinations those that egress
     * ipBlocks and networks distinguish.
     */
    public List<Connection> connectivity() {
        List<Connection> result = new ArrayList<>();
        if (pods.length == 0) {
            return result;
        }
        List<IpRange> sourceRanges = IpPartition.atoms(ingressBlocks);
        List<IpRange> destinationRanges = IpPartition.atoms(egressBlocks);
        for (Map.Entry<Endpoint, List<PodEntry>> source : nodes.entrySet()) {
            PodParty from = new PodParty(source.getValue().getFirst());
            for (Map.Entry<Endpoint, List<PodEntry>> destination : nodes.entrySet()) {
                if (source.getKey().equals(destination.getKey())) {
                    continue;
                }
                add(
                        result,
                        source.getKey(),
                        destination.getKey(),
                        from,
                        new PodParty(destination.getValue().getFirst()));
            }
            for (IpRange range : destinationRanges) {
                add(result, source.getKey(), new Endpoint.External(range), from, new AddressParty(range));
            }
        }
        for (IpRange range : sourceRanges) {
            for (Map.Entry<Endpoint, List<PodEntry>> destination : nodes.entrySet()) {
                add(
                        result,
                        new Endpoint.External(range),
                        destination.getKey(),
                        new AddressParty(range),
                        new PodParty(destination.getValue().getFirst()));
            }
        }
        result.sort(Comparator.comparing(Connection::toString));
        return result;
    }

    private void add(List<Connection> result, Endpoint source, Endpoint destination, Party from, Party to) {
        ConnectionSet connections = connections(from, to);
        if (!connections.isEmpty()) {
            result.add(new Connection(source, destination, connections));
        }
    }

    /**
     * How {@code subject}'s connectivity differs between two views of the same cluster — typically
     * the cluster before an action and the cluster with the action's policies and labels applied: the
     * action's blast radius. Every pod of either view and every external range either view's policies
     * distinguish is compared, in both directions; peers that a workload's pods share are reported
     * once, as the workload.
     *
     * @param subject a pod, or a workload (all its pods are compared)
     * @throws IllegalArgumentException when the subject is external or missing from a view
     */
    public static ConnectivityDiff diff(NetpolEngine before, NetpolEngine after, Endpoint subject) {
        return new Differ(before, after).diff(subject);
    }

    // ------------------------------------------------------------------ evaluation

    /** One end of a connection under evaluation. */
    private sealed interface Party {}

    /**
     * A pod.
     *
     * @param pod the pod
     */
    private record PodParty(PodEntry pod) implements Party {}

    /**
     * External addresses that the relevant blocks treat alike.
     *
     * @param range the addresses
     */
    private record AddressParty(IpRange range) implements Party {}

    private void requireOneInside(Party from, Party to) {
        if (from instanceof AddressParty && to instanceof AddressParty) {
            throw new IllegalArgumentException("at least one end of a connection must be a pod");
        }
    }

    private Verdict verdict(Party from, Party to, Protocol protocol, int port) {
        if (from instanceof PodParty(PodEntry source)
                && to instanceof PodParty(PodEntry destination)
                && source == destination) {
            return new Verdict(true, fixed(Direction.EGRESS, Tier.SAME_POD), fixed(Direction.INGRESS, Tier.SAME_POD));
        }
        Decision egress = from instanceof PodParty(PodEntry source)
                ? decide(Direction.EGRESS, source, to, protocol, port)
                : fixed(Direction.EGRESS, Tier.EXTERNAL);
        Decision ingress = to instanceof PodParty(PodEntry destination)
                ? decide(Direction.INGRESS, destination, from, protocol, port)
                : fixed(Direction.INGRESS, Tier.EXTERNAL);
        return new Verdict(egress.allowed() && ingress.allowed(), egress, ingress);
    }

    private static Decision fixed(Direction direction, Tier tier) {
        return new Decision(direction, true, tier, List.of(), List.of(), List.of());
    }

    /** One side's decision for one protocol and port: the tiers in order. */
    private Decision decide(Direction direction, PodEntry subject, Party peer, Protocol protocol, int port) {
        PodModel destination = destination(direction, subject, peer);
        // Cilium lets a deny rule win over every allow, of whatever policy.
        for (int index : direction == Direction.INGRESS ? subject.ciliumIngress : subject.ciliumEgress) {
            for (CompiledRule rule : clusterPolicies[index].rules(direction)) {
                if (matchesPeer(rule, peer) && matchesPort(rule, protocol, port, destination)) {
                    return new Decision(direction, false, Tier.CILIUM_DENY, List.of(rule.ref()), List.of(), List.of());
                }
            }
        }
        List<RuleRef> passedBy = List.of();
        admin:
        for (int index : direction == Direction.INGRESS ? subject.adminIngress : subject.adminEgress) {
            for (CompiledRule rule : clusterPolicies[index].rules(direction)) {
                if (matchesPeer(rule, peer) && matchesPort(rule, protocol, port, destination)) {
                    switch (rule.action()) {
                        case ALLOW -> {
                            return new Decision(direction, true, Tier.ADMIN, List.of(rule.ref()), List.of(), List.of());
                        }
                        case DENY -> {
                            return new Decision(
                                    direction, false, Tier.ADMIN, List.of(rule.ref()), List.of(), List.of());
                        }
                        case PASS -> {
                            // Pass skips every remaining admin rule, not just this policy's.
                            passedBy = List.of(rule.ref());
                            break admin;
                        }
                    }
                }
            }
        }
        int[] isolating = direction == Direction.INGRESS ? subject.ingressPolicies : subject.egressPolicies;
        if (isolating.length > 0) {
            List<RuleRef> allowing = new ArrayList<>(2);
            for (int index : isolating) {
                for (CompiledRule rule : networkPolicies[index].rules(direction)) {
                    if (matchesPeer(rule, peer) && matchesPort(rule, protocol, port, destination)) {
                        allowing.add(rule.ref());
                    }
                }
            }
            List<PolicyRef> isolatedBy = Arrays.stream(isolating)
                    .mapToObj(index -> networkPolicies[index].ref())
                    .toList();
            return new Decision(direction, !allowing.isEmpty(), Tier.NETWORK_POLICY, allowing, isolatedBy, passedBy);
        }
        for (int index : direction == Direction.INGRESS ? subject.baselineIngress : subject.baselineEgress) {
            for (CompiledRule rule : clusterPolicies[index].rules(direction)) {
                if (matchesPeer(rule, peer) && matchesPort(rule, protocol, port, destination)) {
                    switch (rule.action()) {
                        case ALLOW -> {
                            return new Decision(
                                    direction, true, Tier.BASELINE, List.of(rule.ref()), List.of(), passedBy);
                        }
                        case DENY -> {
                            return new Decision(
                                    direction, false, Tier.BASELINE, List.of(rule.ref()), List.of(), passedBy);
                        }
                        case PASS -> {
                            // A baseline Pass hands over to the only tier left: the default, which allows.
                            List<RuleRef> passes = new ArrayList<>(passedBy);
                            passes.add(rule.ref());
                            return new Decision(direction, true, Tier.DEFAULT, List.of(), List.of(), passes);
                        }
                    }
                }
            }
        }
        return new Decision(direction, true, Tier.DEFAULT, List.of(), List.of(), passedBy);
    }

    /** The same tiers over sets: everything {@code subject} allows with {@code peer} on one side. */
    private ConnectionSet allowedSet(Direction direction, PodEntry subject, Party peer) {
        PodModel destination = destination(direction, subject, peer);
        ConnectionSet undecided = ConnectionSet.ALL;
        for (int index : direction == Direction.INGRESS ? subject.ciliumIngress : subject.ciliumEgress) {
            for (CompiledRule rule : clusterPolicies[index].rules(direction)) {
                if (matchesPeer(rule, peer)) {
                    undecided = undecided.minus(ports(rule, destination));
                }
            }
        }
        ConnectionSet allowed = ConnectionSet.NONE;
        ConnectionSet passed = ConnectionSet.NONE;
        for (int index : direction == Direction.INGRESS ? subject.adminIngress : subject.adminEgress) {
            for (CompiledRule rule : clusterPolicies[index].rules(direction)) {
                if (undecided.isEmpty()) {
                    break;
                }
                if (!matchesPeer(rule, peer)) {
                    continue;
                }
                ConnectionSet matched = ports(rule, destination).intersect(undecided);
                switch (rule.action()) {
                    case ALLOW -> allowed = allowed.union(matched);
                    case DENY -> {}
                    case PASS -> passed = passed.union(matched);
                }
                undecided = undecided.minus(matched);
            }
        }
        ConnectionSet toNetworkPolicies = undecided.union(passed);
        int[] isolating = direction == Direction.INGRESS ? subject.ingressPolicies : subject.egressPolicies;
        if (isolating.length > 0) {
            ConnectionSet union = ConnectionSet.NONE;
            for (int index : isolating) {
                for (CompiledRule rule : networkPolicies[index].rules(direction)) {
                    if (matchesPeer(rule, peer)) {
                        union = union.union(ports(rule, destination));
                    }
                }
            }
            return allowed.union(toNetworkPolicies.intersect(union));
        }
        ConnectionSet remaining = toNetworkPolicies;
        for (int index : direction == Direction.INGRESS ? subject.baselineIngress : subject.baselineEgress) {
            for (CompiledRule rule : clusterPolicies[index].rules(direction)) {
                if (remaining.isEmpty()) {
                    break;
                }
                if (!matchesPeer(rule, peer)) {
                    continue;
                }
                ConnectionSet matched = ports(rule, destination).intersect(remaining);
                if (rule.action() != Action.DENY) {
                    allowed = allowed.union(matched);
                }
                remaining = remaining.minus(matched);
            }
        }
        return allowed.union(remaining);
    }

    private ConnectionSet connections(Party from, Party to) {
        if (from instanceof PodParty(PodEntry source)
                && to instanceof PodParty(PodEntry destination)
                && source == destination) {
            return ConnectionSet.ALL;
        }
        ConnectionSet egress = from instanceof PodParty(PodEntry source)
                ? allowedSet(Direction.EGRESS, source, to)
                : ConnectionSet.ALL;
        if (egress.isEmpty()) {
            return egress;
        }
        ConnectionSet ingress = to instanceof PodParty(PodEntry destination)
                ? allowedSet(Direction.INGRESS, destination, from)
                : ConnectionSet.ALL;
        return egress.intersect(ingress);
    }

    /** Named ports resolve on the destination: the subject for ingress, the peer for egress. */
    private static @Nullable PodModel destination(Direction direction, PodEntry subject, Party peer) {
        if (direction == Direction.INGRESS) {
            return subject.model;
        }
        return peer instanceof PodParty(PodEntry pod) ? pod.model : null;
    }

    private static boolean matchesPeer(CompiledRule rule, Party peer) {
        PeerMatcher[] peers = rule.peers();
        if (peers == null) {
            return true;
        }
        for (PeerMatcher matcher : peers) {
            boolean matches = switch (matcher) {
                case PodsMatcher(BitSet namespaces, Selector selector) ->
                    peer instanceof PodParty(PodEntry pod)
                            && namespaces.get(pod.namespace)
                            && (selector == null || selector.matches(pod.model.labels()));
                case AddressMatcher(IpSet addresses) ->
                    peer instanceof AddressParty(IpRange range) && addresses.containsAll(range);
                case AnyMatcher any -> true;
                case NoMatcher none -> false;
            };
            if (matches) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesPort(CompiledRule rule, Protocol protocol, int port, @Nullable PodModel destination) {
        if (rule.ports() == null) {
            return true;
        }
        for (PortMatch match : rule.ports()) {
            if (match.matches(protocol, port, destination)) {
                return true;
            }
        }
        return false;
    }

    private static ConnectionSet ports(CompiledRule rule, @Nullable PodModel destination) {
        if (rule.ports() == null) {
            return ConnectionSet.ALL;
        }
        ConnectionSet result = ConnectionSet.NONE;
        for (PortMatch match : rule.ports()) {
            result = result.union(match.connections(destination));
        }
        return result;
    }

    // ------------------------------------------------------------------- resolution

    private Party resolve(Endpoint endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        return switch (endpoint) {
            case Endpoint.Pod(String namespace, String name) -> {
                PodEntry pod = podsByName.get(key(namespace, name));
                if (pod == null) {
                    throw new IllegalArgumentException("no pod " + namespace + "/" + name + " in this view");
                }
                yield new PodParty(pod);
            }
            case Endpoint.Workload workload -> {
                List<PodEntry> members = podsByOwner.get(workload);
                if (members == null) {
                    throw new IllegalArgumentException("no workload " + workload + " in this view");
                }
                if (!nodes.containsKey(workload)) {
                    throw new IllegalArgumentException("the pods of "
                            + workload
                            + " differ in what policies select; name one of them: "
                            + members.stream()
                                    .map(member -> member.model.name())
                                    .sorted()
                                    .toList());
                }
                yield new PodParty(members.getFirst());
            }
            case Endpoint.External(IpRange range) -> {
                PodEntry pod = range.isSingleAddress() ? podsByAddress.get(range) : null;
                yield pod != null ? new PodParty(pod) : new AddressParty(range);
            }
        };
    }

    /** An external range cut where any block starts or stops; pods stay whole. */
    private List<Party> split(Party party) {
        if (!(party instanceof AddressParty(IpRange range)) || range.isSingleAddress()) {
            return List.of(party);
        }
        return IpPartition.pieces(range, range.ipv6() ? ipv6Boundaries : ipv4Boundaries).stream()
                .<Party>map(AddressParty::new)
                .toList();
    }

    // --------------------------------------------------------------------- indexing

    private int namespace(String name, @Nullable Map<String, String> labels) {
        Integer id = namespaceIds.get(name);
        if (id != null) {
            return id;
        }
        // Namespaces that only pods or policies mention get the one label the API server sets.
        namespaceIds.put(name, namespaceNames.size());
        namespaceNames.add(name);
        namespaceLabels.add(labels == null ? Map.of(ClusterState.NAMESPACE_NAME_LABEL, name) : labels);
        return namespaceNames.size() - 1;
    }

    private BitSet namespaces(Selector selector) {
        return namespaceSelections.computeIfAbsent(selector, s -> {
            BitSet selected = new BitSet(namespaceNames.size());
            for (int i = 0; i < namespaceNames.size(); i++) {
                if (s.matches(namespaceLabels.get(i))) {
                    selected.set(i);
                }
            }
            return selected;
        });
    }

    private BitSet only(String namespace) {
        BitSet selected = new BitSet();
        selected.set(namespace(namespace, null));
        return selected;
    }

    private CompiledPolicy compile(NetworkPolicyModel policy) {
        BitSet home = only(policy.namespace());
        selectorUses.add(new SelectorUse(home, policy.podSelector()));
        return new CompiledPolicy(
                policy.ref(),
                Tier.NETWORK_POLICY,
                policy.ingressRules().stream()
                        .map(rule -> compile(policy, Direction.INGRESS, rule, home))
                        .toArray(CompiledRule[]::new),
                policy.egressRules().stream()
                        .map(rule -> compile(policy, Direction.EGRESS, rule, home))
                        .toArray(CompiledRule[]::new));
    }

    private CompiledRule compile(
            NetworkPolicyModel policy, Direction direction, NetworkPolicyModel.Rule rule, BitSet home) {
        PeerMatcher[] peers = null;
        if (!rule.peers().isEmpty()) {
            peers = new PeerMatcher[rule.peers().size()];
            for (int i = 0; i < peers.length; i++) {
                peers[i] = switch (rule.peers().get(i)) {
                    case NetworkPolicyModel.Pods(Selector namespaces, Selector selector) -> {
                        BitSet selected = namespaces == null ? home : namespaces(namespaces);
                        if (selector != null) {
                            selectorUses.add(new SelectorUse(selected, selector));
                        }
                        yield new PodsMatcher(selected, selector == null || selector.isEverything() ? null : selector);
                    }
                    case NetworkPolicyModel.Block(IpSet addresses) -> {
                        (direction == Direction.INGRESS ? ingressBlocks : egressBlocks).add(addresses);
                        yield new AddressMatcher(addresses);
                    }
                };
            }
        }
        // peers == null: an empty from/to admits every pod and every address, all alike, so it adds
        // no boundary to the report's address ranges.
        return new CompiledRule(
                new RuleRef(policy.ref(), direction, rule.index(), null, Action.ALLOW),
                Action.ALLOW,
                peers,
                ports(rule.ports().isEmpty() ? null : rule.ports()));
    }

    private CompiledPolicy compile(TieredPolicyModel policy) {
        BitSet subjectNamespaces = namespaces(policy.subject().namespaces());
        selectorUses.add(new SelectorUse(subjectNamespaces, policy.subject().pods()));
        return new CompiledPolicy(
                policy.ref(),
                policy.tier(),
                policy.ingressRules().stream()
                        .map(rule -> compile(policy, Direction.INGRESS, rule))
                        .toArray(CompiledRule[]::new),
                policy.egressRules().stream()
                        .map(rule -> compile(policy, Direction.EGRESS, rule))
                        .toArray(CompiledRule[]::new));
    }

    private CompiledRule compile(TieredPolicyModel policy, Direction direction, TieredPolicyModel.Rule rule) {
        PeerMatcher[] peers = new PeerMatcher[rule.peers().size()];
        for (int i = 0; i < peers.length; i++) {
            peers[i] = switch (rule.peers().get(i)) {
                case TieredPolicyModel.Pods(Selector namespaces, Selector selector) -> {
                    BitSet selected = namespaces(namespaces);
                    selectorUses.add(new SelectorUse(selected, selector));
                    yield new PodsMatcher(selected, selector.isEverything() ? null : selector);
                }
                case TieredPolicyModel.Networks(IpSet addresses) -> {
                    (direction == Direction.INGRESS ? ingressBlocks : egressBlocks).add(addresses);
                    yield new AddressMatcher(addresses);
                }
                case TieredPolicyModel.Everything everything -> new AnyMatcher();
                case TieredPolicyModel.Unresolved unresolved -> new NoMatcher();
            };
        }
        return new CompiledRule(
                new RuleRef(policy.ref(), direction, rule.index(), rule.name(), rule.action()),
                rule.action(),
                peers,
                ports(rule.ports()));
    }

    private PortMatch @Nullable [] ports(@Nullable List<PortMatch> ports) {
        if (ports == null) {
            return null;
        }
        for (PortMatch port : ports) {
            namedPortsUsed |= port instanceof PortMatch.Named;
        }
        return ports.toArray(PortMatch[]::new);
    }

    /** Which policies select which pod, per direction and tier, in evaluation order. */
    private void selectPods() {
        LabelIndex<PodEntry> byLabel = new LabelIndex<>(
                Arrays.asList(pods), pod -> pod.namespace, pod -> pod.model.labels(), namespaceNames.size());
        IntLists lists = new IntLists(pods.length);
        List<NetworkPolicyModel> models = state.networkPolicies();
        for (int p = 0; p < networkPolicies.length; p++) {
            NetworkPolicyModel model = models.get(p);
            for (PodEntry pod : byLabel.candidates(namespaceIds.get(model.namespace()), model.podSelector())) {
                if (model.podSelector().matches(pod.model.labels())) {
                    if (model.ingress()) {
                        lists.add(lists.ingress, pod.id, p);
                    }
                    if (model.egress()) {
                        lists.add(lists.egress, pod.id, p);
                    }
                }
            }
        }
        List<TieredPolicyModel> tiered = tiered(state);
        for (int p = 0; p < clusterPolicies.length; p++) {
            TieredPolicyModel model = tiered.get(p);
            int[][] ingress;
            int[][] egress;
            switch (model.tier()) {
                case CILIUM_DENY -> {
                    ingress = lists.ciliumIngress;
                    egress = lists.ciliumEgress;
                }
                case ADMIN -> {
                    ingress = lists.adminIngress;
                    egress = lists.adminEgress;
                }
                case BASELINE -> {
                    ingress = lists.baselineIngress;
                    egress = lists.baselineEgress;
                }
                default -> throw new IllegalStateException("not a rule-ordered tier: " + model.tier());
            }
            BitSet selected = namespaces(model.subject().namespaces());
            for (int ns = selected.nextSetBit(0); ns >= 0; ns = selected.nextSetBit(ns + 1)) {
                for (PodEntry pod : byLabel.candidates(ns, model.subject().pods())) {
                    if (!model.subject().pods().matches(pod.model.labels())) {
                        continue;
                    }
                    for (Direction direction : model.unmodelled()) {
                        (direction == Direction.INGRESS ? pod.unmodelledIngress : pod.unmodelledEgress)
                                .add(model.ref());
                    }
                    // A policy without rules for a direction does not take part in that direction.
                    if (!model.ingressRules().isEmpty()) {
                        lists.add(ingress, pod.id, p);
                    }
                    if (!model.egressRules().isEmpty()) {
                        lists.add(egress, pod.id, p);
                    }
                }
            }
        }
        for (PodEntry pod : pods) {
            pod.ingressPolicies = lists.get(lists.ingress, pod.id);
            pod.egressPolicies = lists.get(lists.egress, pod.id);
            pod.ciliumIngress = lists.get(lists.ciliumIngress, pod.id);
            pod.ciliumEgress = lists.get(lists.ciliumEgress, pod.id);
            pod.adminIngress = lists.get(lists.adminIngress, pod.id);
            pod.adminEgress = lists.get(lists.adminEgress, pod.id);
            pod.baselineIngress = lists.get(lists.baselineIngress, pod.id);
            pod.baselineEgress = lists.get(lists.baselineEgress, pod.id);
        }
    }

    /**
     * A workload's pods are one node while no policy can tell them apart — the workload's own
     * template pods always, real pods as long as their labels (and named ports) agree on every
     * selector that applies in their namespace. Otherwise each pod is a node of its own: this is what
     * Stanch creates when it labels one pod of a Deployment.
     */
    private void groupNodes() {
        for (Map.Entry<Endpoint, List<PodEntry>> owner : podsByOwner.entrySet()) {
            List<PodEntry> members = owner.getValue();
            if (members.size() == 1 || !distinguishable(members)) {
                nodes.put(owner.getKey(), members);
                for (PodEntry member : members) {
                    member.node = owner.getKey();
                }
            } else {
                for (PodEntry member : members) {
                    Endpoint.Pod node = new Endpoint.Pod(member.model.namespace(), member.model.name());
                    member.node = node;
                    nodes.put(node, List.of(member));
                }
            }
        }
    }

    private boolean distinguishable(List<PodEntry> members) {
        PodEntry first = members.getFirst();
        boolean sameLabels = true;
        boolean samePorts = true;
        for (PodEntry member : members) {
            sameLabels &= member.model.labels().equals(first.model.labels());
            samePorts &= member.model.ports().equals(first.model.ports());
        }
        if (!samePorts && namedPortsUsed) {
            return true;
        }
        if (sameLabels) {
            return false;
        }
        for (SelectorUse use : selectorUses) {
            if (!use.namespaces().get(first.namespace)) {
                continue;
            }
            boolean expected = use.pods().matches(first.model.labels());
            for (PodEntry member : members) {
                if (use.pods().matches(member.model.labels()) != expected) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    // ---------------------------------------------------------------- index records

    /** A pod with the policies that select it, as indexes into the compiled policy arrays. */
    private static final class PodEntry {
        final int id;
        final PodModel model;
        final int namespace;
        Endpoint node;
        int[] ingressPolicies = NONE;
        int[] egressPolicies = NONE;
        int[] ciliumIngress = NONE;
        int[] ciliumEgress = NONE;
        int[] adminIngress = NONE;
        int[] adminEgress = NONE;
        int[] baselineIngress = NONE;
        int[] baselineEgress = NONE;
        final Set<PolicyRef> unmodelledIngress = new LinkedHashSet<>();
        final Set<PolicyRef> unmodelledEgress = new LinkedHashSet<>();

        PodEntry(int id, PodModel model, int namespace) {
            this.id = id;
            this.model = model;
            this.namespace = namespace;
            this.node = model.node();
        }

        @Override
        public String toString() {
            return model.namespace() + "/" + model.name();
        }
    }

    /** Growable per-pod int lists, one family per direction and tier. */
    private static final class IntLists {
        final int[][] ingress;
        final int[][] egress;
        final int[][] ciliumIngress;
        final int[][] ciliumEgress;
        final int[][] adminIngress;
        final int[][] adminEgress;
        final int[][] baselineIngress;
        final int[][] baselineEgress;

        IntLists(int pods) {
            ingress = new int[pods][];
            egress = new int[pods][];
            ciliumIngress = new int[pods][];
            ciliumEgress = new int[pods][];
            adminIngress = new int[pods][];
            adminEgress = new int[pods][];
            baselineIngress = new int[pods][];
            baselineEgress = new int[pods][];
        }

        void add(int[][] family, int pod, int value) {
            int[] current = family[pod];
            if (current == null) {
                family[pod] = new int[] {1, value};
                return;
            }
            int size = current[0];
            if (size + 1 == current.length) {
                current = Arrays.copyOf(current, current.length * 2);
                family[pod] = current;
            }
            current[size + 1] = value;
            current[0] = size + 1;
        }

        int[] get(int[][] family, int pod) {
            int[] current = family[pod];
            return current == null ? NONE : Arrays.copyOfRange(current, 1, current[0] + 1);
        }
    }

    /**
     * A policy ready for evaluation.
     *
     * @param ref names it
     * @param tier its tier
     * @param ingress its ingress rules
     * @param egress its egress rules
     */
    private record CompiledPolicy(PolicyRef ref, Tier tier, CompiledRule[] ingress, CompiledRule[] egress) {
        CompiledRule[] rules(Direction direction) {
            return direction == Direction.INGRESS ? ingress : egress;
        }
    }

    /**
     * A rule ready for evaluation.
     *
     * @param ref names it
     * @param action what it does
     * @param peers the peers it matches; {@code null} for every peer
     * @param ports the ports it matches; {@code null} for every port
     */
    private record CompiledRule(
            RuleRef ref, Action action, PeerMatcher @Nullable [] peers, PortMatch @Nullable [] ports) {}

    /** A peer entry with its namespace selector already evaluated. */
    private sealed interface PeerMatcher {}

    /**
     * Pods in a set of namespaces.
     *
     * @param namespaces the namespace ids
     * @param selector the pod selector, {@code null} for all pods
     */
    private record PodsMatcher(BitSet namespaces, @Nullable Selector selector) implements PeerMatcher {}

    /**
     * External addresses.
     *
     * @param addresses the addresses
     */
    private record AddressMatcher(IpSet addresses) implements PeerMatcher {}

    /** Every peer (fail-closed deny rules). */
    private record AnyMatcher() implements PeerMatcher {}

    /** No peer (node and domain-name peers). */
    private record NoMatcher() implements PeerMatcher {}

    /**
     * A pod selector and the namespaces it applies in: what can tell a workload's pods apart.
     *
     * @param namespaces where it applies
     * @param pods the selector
     */
    private record SelectorUse(BitSet namespaces, Selector pods) {}

    // -------------------------------------------------------------------- the diff

    /** Computes a blast radius; one instance per {@link #diff} call. */
    private static final class Differ {

        private final NetpolEngine before;
        private final NetpolEngine after;

        Differ(NetpolEngine before, NetpolEngine after) {
            this.before = Objects.requireNonNull(before, "before");
            this.after = Objects.requireNonNull(after, "after");
        }

        ConnectivityDiff diff(Endpoint subject) {
            List<String> subjectPods = subjectPods(subject);
            Map<String, List<ConnectivityChange>> perPod = new LinkedHashMap<>();
            for (String podKey : subjectPods) {
                perPod.put(podKey, changes(podKey));
            }
            // When every pod of a workload changes alike, report the workload once.
            List<List<ConnectivityChange>> distinct = perPod.values().stream()
                    .map(this::withoutSubject)
                    .distinct()
                    .toList();
            List<ConnectivityChange> changes = new ArrayList<>();
            if (subject instanceof Endpoint.Workload && distinct.size() == 1) {
                for (ConnectivityChange change : perPod.values().iterator().next()) {
                    changes.add(new ConnectivityChange(
                            subject, change.direction(), change.peer(), change.before(), change.after()));
                }
            } else {
                perPod.values().forEach(changes::addAll);
            }
            return new ConnectivityDiff(subject, changes);
        }

        private List<ConnectivityChange> withoutSubject(List<ConnectivityChange> changes) {
            Endpoint placeholder = new Endpoint.Pod("", "");
            return changes.stream()
                    .map(change -> new ConnectivityChange(
                            placeholder, change.direction(), change.peer(), change.before(), change.after()))
                    .toList();
        }

        private List<String> subjectPods(Endpoint subject) {
            List<String> keys = new ArrayList<>();
            switch (subject) {
                case Endpoint.Pod(String namespace, String name) -> keys.add(key(namespace, name));
                case Endpoint.Workload workload -> {
                    List<PodEntry> members = after.podsByOwner.get(workload);
                    if (members == null) {
                        members = before.podsByOwner.get(workload);
                    }
                    if (members == null) {
                        throw new IllegalArgumentException("no workload " + workload + " in either view");
                    }
                    members.forEach(member -> keys.add(key(member.model.namespace(), member.model.name())));
                }
                case Endpoint.External external ->
                    throw new IllegalArgumentException("the subject of a diff must be a pod or workload");
            }
            for (String key : keys) {
                if (!before.podsByName.containsKey(key) || !after.podsByName.containsKey(key)) {
                    throw new IllegalArgumentException("pod " + key + " is not in both views");
                }
            }
            return keys;
        }

        /** One subject pod against every pod and external range of both views. */
        private List<ConnectivityChange> changes(String subjectKey) {
            PodEntry subjectBefore = before.podsByName.get(subjectKey);
            PodEntry subjectAfter = after.podsByName.get(subjectKey);
            Endpoint subjectNode = new Endpoint.Pod(subjectAfter.model.namespace(), subjectAfter.model.name());

            // Pod peers: the answer depends on a peer only through its namespace, labels and named
            // ports, so peers alike are evaluated once per view.
            Map<PeerClass, ConnectionSet[]> cacheBefore = new HashMap<>();
            Map<PeerClass, ConnectionSet[]> cacheAfter = new HashMap<>();
            Set<String> peerKeys = new LinkedHashSet<>();
            for (PodEntry pod : before.pods) {
                peerKeys.add(key(pod.model.namespace(), pod.model.name()));
            }
            for (PodEntry pod : after.pods) {
                peerKeys.add(key(pod.model.namespace(), pod.model.name()));
            }
            peerKeys.remove(subjectKey);
            Map<ChangeKey, List<PodEntry>> podChanges = new LinkedHashMap<>();
            for (String peerKey : peerKeys) {
                PodEntry peerBefore = before.podsByName.get(peerKey);
                PodEntry peerAfter = after.podsByName.get(peerKey);
                ConnectionSet[] was = evaluate(before, subjectBefore, peerBefore, cacheBefore);
                ConnectionSet[] is = evaluate(after, subjectAfter, peerAfter, cacheAfter);
                PodEntry shown = peerAfter != null ? peerAfter : peerBefore;
                for (Direction direction : Direction.values()) {
                    int d = direction.ordinal();
                    if (!was[d].equals(is[d])) {
                        podChanges
                                .computeIfAbsent(
                                        new ChangeKey(direction, shown.node, was[d], is[d]), k -> new ArrayList<>())
                                .add(shown);
                    }
                }
            }
            List<ConnectivityChange> changes = new ArrayList<>();
            // A node's pods are reported as the node when they all changed, and alike, in a direction.
            Map<List<Object>, Integer> changeKinds = new HashMap<>();
            podChanges.keySet().forEach(k -> changeKinds.merge(List.of(k.direction(), k.node()), 1, Integer::sum));
            for (Map.Entry<ChangeKey, List<PodEntry>> entry : podChanges.entrySet()) {
                ChangeKey change = entry.getKey();
                NetpolEngine view = after.nodes.containsKey(change.node()) ? after : before;
                int nodeSize = view.nodes.getOrDefault(change.node(), List.of()).size();
                boolean whole = changeKinds.get(List.of(change.direction(), change.node())) == 1
                        && entry.getValue().size() == nodeSize;
                if (whole || entry.getValue().stream().allMatch(pod -> pod.model.template())) {
                    changes.add(new ConnectivityChange(
                            subjectNode, change.direction(), change.node(), change.before(), change.after()));
                } else {
                    for (PodEntry pod : entry.getValue()) {
                        changes.add(new ConnectivityChange(
                                subjectNode,
                                change.direction(),
                                new Endpoint.Pod(pod.model.namespace(), pod.model.name()),
                                change.before(),
                                change.after()));
                    }
                }
            }
            changes.addAll(externalChanges(subjectNode, subjectBefore, subjectAfter));
            changes.sort(Comparator.comparing((ConnectivityChange change) -> change.direction() == Direction.INGRESS)
                    .thenComparing(change -> change.peer().toString()));
            return changes;
        }

        /**
         * {egress from subject to peer, ingress from peer to subject}; none when the peer is absent.
         */
        private static ConnectionSet[] evaluate(
                NetpolEngine view, PodEntry subject, @Nullable PodEntry peer, Map<PeerClass, ConnectionSet[]> cache) {
            if (peer == null) {
                return new ConnectionSet[] {ConnectionSet.NONE, ConnectionSet.NONE};
            }
            PeerClass peerClass = new PeerClass(peer.namespace, peer.model.labels(), peer.model.ports());
            return cache.computeIfAbsent(peerClass, k -> {
                ConnectionSet[] result = new ConnectionSet[2];
                result[Direction.EGRESS.ordinal()] = view.connections(new PodParty(subject), new PodParty(peer));
                result[Direction.INGRESS.ordinal()] = view.connections(new PodParty(peer), new PodParty(subject));
                return result;
            });
        }

        private List<ConnectivityChange> externalChanges(
                Endpoint subjectNode, PodEntry subjectBefore, PodEntry subjectAfter) {
            // The boundaries of every block of both views, both families always (a blast radius must
            // not leave out IPv6 because no policy names it): each view has its own already.
            TreeSet<BigInteger> ipv4 = new TreeSet<>(before.ipv4Boundaries);
            ipv4.addAll(after.ipv4Boundaries);
            TreeSet<BigInteger> ipv6 = new TreeSet<>(before.ipv6Boundaries);
            ipv6.addAll(after.ipv6Boundaries);
            List<IpRange> atoms = IpPartition.atoms(ipv4, ipv6);
            List<ConnectivityChange> changes = new ArrayList<>();
            for (Direction direction : Direction.values()) {
                ConnectivityChange pending = null;
                for (IpRange range : atoms) {
                    AddressParty peer = new AddressParty(range);
                    ConnectionSet was = external(before, subjectBefore, peer, direction);
                    ConnectionSet is = external(after, subjectAfter, peer, direction);
                    if (was.equals(is)) {
                        if (pending != null) {
                            changes.add(pending);
                            pending = null;
                        }
                        continue;
                    }
                    // Neighbouring ranges that change alike are reported as one range.
                    if (pending != null
                            && pending.before().equals(was)
                            && pending.after().equals(is)
                            && ((Endpoint.External) pending.peer()).range().ipv6() == range.ipv6()
                            && ((Endpoint.External) pending.peer())
                                    .range()
                                    .last()
                                    .add(BigInteger.ONE)
                                    .equals(range.first())) {
                        IpRange merged = new IpRange(
                                range.ipv6(),
                                ((Endpoint.External) pending.peer()).range().first(),
                                range.last());
                        pending =
                                new ConnectivityChange(subjectNode, direction, new Endpoint.External(merged), was, is);
                    } else {
                        if (pending != null) {
                            changes.add(pending);
                        }
                        pending = new ConnectivityChange(subjectNode, direction, new Endpoint.External(range), was, is);
                    }
                }
                if (pending != null) {
                    changes.add(pending);
                }
            }
            return changes;
        }

        private static ConnectionSet external(
                NetpolEngine view, PodEntry subject, AddressParty peer, Direction direction) {
            return direction == Direction.EGRESS
                    ? view.connections(new PodParty(subject), peer)
                    : view.connections(peer, new PodParty(subject));
        }

        /**
         * What a peer pod's answers depend on.
         *
         * @param namespace its namespace id
         * @param labels its labels
         * @param ports its container ports
         */
        private record PeerClass(int namespace, Map<String, String> labels, List<PodModel.ContainerPort> ports) {}

        /**
         * A change seen from one subject pod, before grouping peers into nodes.
         *
         * @param direction the direction
         * @param node the peer's node
         * @param before connections before
         * @param after connections after
         */
        private record ChangeKey(Direction direction, Endpoint node, ConnectionSet before, ConnectionSet after) {}
    }
}
