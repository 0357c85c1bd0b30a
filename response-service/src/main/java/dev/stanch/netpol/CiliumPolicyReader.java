package dev.stanch.netpol;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Reads the deny rules of CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy ({@code
 * cilium.io/v2}) into the engine's rule-ordered model, the way Cilium translates them: a
 * CiliumNetworkPolicy applies to pods of its own namespace only, and a peer selector of it that names
 * no namespace means its own namespace; label keys may carry Cilium's sources ({@code k8s:}, {@code
 * any:}); a pod's namespace is the label {@code io.kubernetes.pod.namespace} and its namespace's
 * labels are {@code io.cilium.k8s.namespace.labels.<key>}.
 *
 * <p>Only deny rules are modelled. Allow rules ({@code ingress}, {@code egress}) and the
 * default-deny mode a policy puts its pods in are not: each is reported as a warning, so that a
 * reader of the engine's answer knows where the cluster may drop more than the engine says.
 */
final class CiliumPolicyReader {

    static final String API_VERSION = "cilium.io/v2";

    private static final String NETWORK_POLICY = "CiliumNetworkPolicy";
    private static final String CLUSTERWIDE_NETWORK_POLICY = "CiliumClusterwideNetworkPolicy";

    /** The label Cilium gives every pod: the name of its namespace. */
    private static final String NAMESPACE_KEY = "io.kubernetes.pod.namespace";

    /** Cilium gives every pod the labels of its namespace under this prefix. */
    private static final String NAMESPACE_LABELS_PREFIX = "io.cilium.k8s.namespace.labels.";

    /** Labels Cilium derives from a pod's spec (service account, cluster): the engine does not know them. */
    private static final String DERIVED_LABELS_PREFIX = "io.cilium.k8s.policy.";

    /**
     * The namespace key as Cilium writes it into a CiliumNetworkPolicy's endpointSelector, replacing
     * whatever the author put there: the policy's pods are always those of its own namespace.
     */
    private static final String OWN_NAMESPACE_MATCH = "k8s:" + NAMESPACE_KEY;

    private static final IpRange ALL_IPV4 = IpRange.cidr("0.0.0.0/0");
    private static final IpRange ALL_IPV6 = IpRange.cidr("::/0");

    private CiliumPolicyReader() {}

    /** True for the Cilium kinds whose deny rules the engine evaluates. */
    static boolean isCiliumPolicy(@Nullable String apiVersion, @Nullable String kind) {
        return API_VERSION.equals(apiVersion)
                && (NETWORK_POLICY.equals(kind) || CLUSTERWIDE_NETWORK_POLICY.equals(kind));
    }

    /**
     * Reads a policy: one model per rule set ({@code spec}, then each of {@code specs}) that selects
     * pods.
     *
     * @param warnings receives notes about parts the engine does not model, once the whole policy is read
     */
    static List<TieredPolicyModel> read(GenericKubernetesResource resource, Consumer<String> warnings) {
        String name =
                resource.getMetadata() == null ? null : resource.getMetadata().getName();
        if (name == null || name.isEmpty()) {
            throw new InvalidResourceException("metadata.name is missing");
        }
        boolean clusterwide = CLUSTERWIDE_NETWORK_POLICY.equals(resource.getKind());
        String namespace = clusterwide
                ? null
                : PolicyReader.namespaceOf(resource.getMetadata().getNamespace());
        PolicyRef ref = new PolicyRef(
                clusterwide ? PolicyKind.CILIUM_CLUSTERWIDE_NETWORK_POLICY : PolicyKind.CILIUM_NETWORK_POLICY,
                namespace,
                name);
        Object spec = resource.getAdditionalProperties().get("spec");
        Object specs = resource.getAdditionalProperties().get("specs");
        if (spec == null && specs == null) {
            throw new InvalidResourceException("set spec or specs");
        }
        // Notes reach the caller only when the policy is read whole: a skipped policy is one warning.
        List<String> notes = new ArrayList<>();
        Reading reading = new Reading(ref, namespace, notes::add);
        List<TieredPolicyModel> ruleSets = new ArrayList<>();
        if (spec != null) {
            TieredPolicyModel ruleSet = reading.ruleSet(Generic.map(spec, "spec"), "spec", null);
            if (ruleSet != null) {
                ruleSets.add(ruleSet);
            }
        }
        if (specs != null) {
            List<Object> list = Generic.list(specs, "specs");
            for (int i = 0; i < list.size(); i++) {
                String path = "specs[" + i + "]";
                TieredPolicyModel ruleSet = reading.ruleSet(Generic.map(list.get(i), path), path, path);
                if (ruleSet != null) {
                    ruleSets.add(ruleSet);
                }
            }
        }
        notes.forEach(warnings);
        return ruleSets;
    }

    /**
     * One policy being read.
     *
     * @param ref the policy
     * @param namespace its namespace; null for a CiliumClusterwideNetworkPolicy
     * @param warnings where notes go
     */
    private record Reading(PolicyRef ref, @Nullable String namespace, Consumer<String> warnings) {

        /** A rule set; null when it selects nodes rather than pods (a host firewall rule). */
        @Nullable
        TieredPolicyModel ruleSet(Map<String, Object> spec, String path, @Nullable String label) {
            Object endpointSelector = spec.get("endpointSelector");
            Object nodeSelector = spec.get("nodeSelector");
            if ((endpointSelector == null) == (nodeSelector == null)) {
                throw new InvalidResourceException(path + ": set exactly one of endpointSelector, nodeSelector");
            }
            if (endpointSelector == null) {
                warnings.accept(ref + " " + path + ": selects nodes (nodeSelector), not pods; ignored");
                return null;
            }
            TieredPolicyModel.Subject subject = subject(endpointSelector, path + ".endpointSelector");
            // What the engine leaves out, per direction: allow rules, and the default-deny mode.
            Set<Direction> unmodelled = EnumSet.noneOf(Direction.class);
            List<String> allowRules = new ArrayList<>();
            for (Direction direction : Direction.values()) {
                if (hasRules(spec.get(direction.word()))) {
                    allowRules.add(direction.word());
                    unmodelled.add(direction);
                }
            }
            if (!allowRules.isEmpty()) {
                warnings.accept(ref + " " + path + ": its allow rules (" + String.join(", ", allowRules)
                        + ") are not modelled; only its deny rules are evaluated");
            }
            Map<String, Object> defaultDeny = spec.get("enableDefaultDeny") == null
                    ? Map.of()
                    : Generic.map(spec.get("enableDefaultDeny"), path + ".enableDefaultDeny");
            for (Direction direction : Direction.values()) {
                String word = direction.word();
                // Cilium's default: a direction with rules of either kind puts the selected pods into
                // default deny there, unless the policy turns that off (Cilium 1.16+).
                if ((hasRules(spec.get(word)) || hasRules(spec.get(word + "Deny")))
                        && !Boolean.FALSE.equals(defaultDeny.get(word))) {
                    warnings.accept(ref + " " + path + ": puts the pods it selects into default deny for " + word
                            + " (enableDefaultDeny), which is not modelled: what no allow rule allows is dropped"
                            + " in the cluster, not here");
                    unmodelled.add(direction);
                }
            }
            return new TieredPolicyModel(
                    ref,
                    Tier.CILIUM_DENY,
                    0,
                    subject,
                    rules(spec.get("ingressDeny"), path + ".ingressDeny", Direction.INGRESS, label),
                    rules(spec.get("egressDeny"), path + ".egressDeny", Direction.EGRESS, label),
                    unmodelled);
        }

        private static boolean hasRules(@Nullable Object rules) {
            return rules instanceof List<?> list && !list.isEmpty();
        }

        /** A CiliumNetworkPolicy selects pods of its own namespace, whatever its selector says. */
        private TieredPolicyModel.Subject subject(Object value, String path) {
            Split split = split(value, path, namespace != null);
            List<Selector.Requirement> namespaces = new ArrayList<>(split.namespace());
            if (namespace != null) {
                namespaces.add(nameIs(namespace));
            }
            return new TieredPolicyModel.Subject(selector(namespaces), selector(split.pod()));
        }

        /** A peer selector of a CiliumNetworkPolicy that names no namespace means the policy's own. */
        private TieredPolicyModel.Pods peer(Object value, String path) {
            Split split = split(value, path, false);
            List<Selector.Requirement> namespaces = new ArrayList<>(split.namespace());
            if (namespace != null && !split.namesNamespace()) {
                namespaces.add(nameIs(namespace));
            }
            return new TieredPolicyModel.Pods(selector(namespaces), selector(split.pod()));
        }

        private List<TieredPolicyModel.Rule> rules(
                @Nullable Object value, String path, Direction direction, @Nullable String label) {
            if (value == null) {
                return List.of();
            }
            List<Object> list = Generic.list(value, path);
            List<TieredPolicyModel.Rule> rules = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                String rulePath = path + "[" + i + "]";
                TieredPolicyModel.Rule rule =
                        rule(Generic.map(list.get(i), rulePath), rulePath, direction, i + 1, label);
                if (rule != null) {
                    rules.add(rule);
                }
            }
            return rules;
        }

        /** A deny rule; null when it denies nothing among TCP, UDP and SCTP. */
        private TieredPolicyModel.@Nullable Rule rule(
                Map<String, Object> rule, String path, Direction direction, int index, @Nullable String label) {
            List<String> peerFields = direction == Direction.INGRESS
                    ? List.of("fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes", "fromGroups")
                    : List.of("toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toServices", "toNodes", "toGroups");
            List<String> set = peerFields.stream()
                    .filter(field -> hasRules(rule.get(field)))
                    .toList();
            if (set.size() > 1) {
                throw new InvalidResourceException(path + ": set at most one of " + String.join(", ", set)
                        + " (Cilium rejects a rule that names its peers in two ways)");
            }
            String requires = direction == Direction.INGRESS ? "fromRequires" : "toRequires";
            if (rule.get(requires) != null) {
                warnings.accept(ref + " " + path + ": '" + requires + "' is not modelled; ignored");
            }
            List<PortMatch> ports = null;
            if (rule.get("toPorts") != null) {
                ports = ports(rule.get("toPorts"), path + ".toPorts");
                if (ports.isEmpty()) {
                    return null; // only protocols the engine does not evaluate (ICMP and the like)
                }
            } else if (rule.get("icmps") != null) {
                return null; // ICMP only
            }
            List<TieredPolicyModel.Peer> peers;
            if (set.isEmpty()) {
                if (ports == null) {
                    return null; // a rule that names neither peers nor ports selects no traffic
                }
                peers = List.of(new TieredPolicyModel.Everything()); // ports alone: to or from anyone
            } else {
                String field = set.getFirst();
                peers = peers(field, rule.get(field), path + "." + field);
            }
            return new TieredPolicyModel.Rule(index, label, Action.DENY, peers, ports);
        }

        private List<TieredPolicyModel.Peer> peers(String field, Object value, String path) {
            List<Object> list = Generic.list(value, path);
            List<TieredPolicyModel.Peer> peers = new ArrayList<>();
            switch (field) {
                case "toEndpoints", "fromEndpoints" -> {
                    for (int i = 0; i < list.size(); i++) {
                        peers.add(peer(list.get(i), path + "[" + i + "]"));
                    }
                }
                case "toCIDR", "fromCIDR" -> {
                    List<IpRange> ranges = new ArrayList<>();
                    for (int i = 0; i < list.size(); i++) {
                        String cidrPath = path + "[" + i + "]";
                        ranges.add(PolicyReader.cidr(Generic.string(list.get(i), cidrPath), cidrPath));
                    }
                    peers.add(new TieredPolicyModel.Networks(IpSet.of(ranges)));
                }
                case "toCIDRSet", "fromCIDRSet" -> {
                    for (int i = 0; i < list.size(); i++) {
                        peers.add(cidrRule(Generic.map(list.get(i), path + "[" + i + "]"), path + "[" + i + "]"));
                    }
                }
                case "toEntities", "fromEntities" -> {
                    for (int i = 0; i < list.size(); i++) {
                        peers.add(entity(Generic.string(list.get(i), path + "[" + i + "]"), path + "[" + i + "]"));
                    }
                }
                default -> peers.add(unresolved(field, path));
            }
            return peers;
        }

        /** {@code {cidr, except}}; a reference to a CiliumCIDRGroup cannot be resolved from here. */
        private TieredPolicyModel.Peer cidrRule(Map<String, Object> entry, String path) {
            Object cidr = entry.get("cidr");
            if (cidr == null) {
                return unresolved(entry.containsKey("cidrGroupRef") ? "cidrGroupRef" : "cidrGroupSelector", path);
            }
            IpRange range = PolicyReader.cidr(Generic.string(cidr, path + ".cidr"), path + ".cidr");
            List<IpRange> except = new ArrayList<>();
            Object excepts = entry.get("except");
            if (excepts != null) {
                List<Object> list = Generic.list(excepts, path + ".except");
                for (int i = 0; i < list.size(); i++) {
                    String exceptPath = path + ".except[" + i + "]";
                    IpRange excluded = PolicyReader.cidr(Generic.string(list.get(i), exceptPath), exceptPath);
                    if (excluded.ipv6() != range.ipv6()) {
                        throw new InvalidResourceException(exceptPath + ": not the address family of the cidr");
                    }
                    except.add(excluded);
                }
            }
            return new TieredPolicyModel.Networks(IpSet.of(List.of(range)).minus(IpSet.of(except)));
        }

        /** Cilium's entities: those that are pods or addresses outside the cluster are modelled. */
        private TieredPolicyModel.Peer entity(String entity, String path) {
            return switch (entity) {
                case "world" -> new TieredPolicyModel.Networks(IpSet.of(List.of(ALL_IPV4, ALL_IPV6)));
                case "world-ipv4" -> new TieredPolicyModel.Networks(IpSet.of(List.of(ALL_IPV4)));
                case "world-ipv6" -> new TieredPolicyModel.Networks(IpSet.of(List.of(ALL_IPV6)));
                case "cluster" -> new TieredPolicyModel.Pods(Selector.EVERYTHING, Selector.EVERYTHING);
                case "all" -> new TieredPolicyModel.Everything();
                default -> unresolved("entity " + entity, path);
            };
        }

        private TieredPolicyModel.Unresolved unresolved(String what, String path) {
            warnings.accept(ref + " " + path + ": '" + what
                    + "' peers cannot be resolved from manifests; they match nothing here");
            return new TieredPolicyModel.Unresolved(what);
        }

        /**
         * A selector's requirements, sorted by what they ask about: the namespace (its name or its
         * labels) or the pod.
         *
         * @param ownNamespace true for the endpointSelector of a CiliumNetworkPolicy, whose namespace
         *     match Cilium overwrites with the policy's
         */
        private Split split(Object value, String path, boolean ownNamespace) {
            Selector parsed = Selector.fromMap(value, path);
            List<Selector.Requirement> requirements = new ArrayList<>();
            parsed.matchLabels().forEach((key, labelValue) -> {
                if (!(ownNamespace && key.equals(OWN_NAMESPACE_MATCH))) {
                    requirements.add(new Selector.Requirement(key, Selector.Operator.IN, Set.of(labelValue)));
                }
            });
            requirements.addAll(parsed.requirements());
            List<Selector.Requirement> namespaces = new ArrayList<>();
            List<Selector.Requirement> pods = new ArrayList<>();
            boolean namesNamespace = false;
            for (Selector.Requirement requirement : requirements) {
                String key = withoutSource(requirement.key());
                if (key.equals(NAMESPACE_KEY)) {
                    namespaces.add(requirement.withKey(ClusterState.NAMESPACE_NAME_LABEL));
                    namesNamespace = true;
                } else if (key.startsWith(NAMESPACE_LABELS_PREFIX)) {
                    namespaces.add(requirement.withKey(key.substring(NAMESPACE_LABELS_PREFIX.length())));
                    namesNamespace = true;
                } else {
                    if (key.contains(":") || key.startsWith(DERIVED_LABELS_PREFIX)) {
                        warnings.accept(ref + " " + path + ": '" + requirement.key()
                                + "' is not a label the engine knows pods by; no pod carries it here");
                    }
                    pods.add(requirement.withKey(key));
                }
            }
            return new Split(namespaces, pods, namesNamespace);
        }
    }

    /**
     * A selector's requirements, sorted.
     *
     * @param namespace about the pod's namespace, as keys of the engine's namespace labels
     * @param pod about the pod's own labels
     * @param namesNamespace true when the selector says something about the namespace
     */
    private record Split(
            List<Selector.Requirement> namespace, List<Selector.Requirement> pod, boolean namesNamespace) {}

    /** Keys may name the label's source: {@code k8s:} and {@code any:} both match a pod's labels. */
    private static String withoutSource(String key) {
        for (String source : List.of("k8s:", "any:")) {
            if (key.startsWith(source)) {
                return key.substring(source.length());
            }
        }
        return key;
    }

    private static Selector.Requirement nameIs(String namespace) {
        return new Selector.Requirement(ClusterState.NAMESPACE_NAME_LABEL, Selector.Operator.IN, Set.of(namespace));
    }

    private static Selector selector(List<Selector.Requirement> requirements) {
        return new Selector(Map.of(), requirements);
    }

    /** {@code toPorts}: every port entry of every rule; empty when all name protocols the engine does not evaluate. */
    private static List<PortMatch> ports(Object value, String path) {
        List<PortMatch> matches = new ArrayList<>();
        List<Object> portRules = Generic.list(value, path);
        for (int i = 0; i < portRules.size(); i++) {
            String rulePath = path + "[" + i + "]";
            Object ports = Generic.map(portRules.get(i), rulePath).get("ports");
            List<Object> list = ports == null ? List.of() : Generic.list(ports, rulePath + ".ports");
            if (list.isEmpty()) {
                // No port named: every port (a deny errs on the side of denying).
                for (Protocol protocol : Protocol.values()) {
                    matches.add(new PortMatch.Numbered(protocol, PortSet.MIN, PortSet.MAX));
                }
            }
            for (int j = 0; j < list.size(); j++) {
                String portPath = rulePath + ".ports[" + j + "]";
                matches.addAll(port(Generic.map(list.get(j), portPath), portPath));
            }
        }
        return matches;
    }

    /** One {@code {port, endPort, protocol}}: the port may be a number, 0 (every port), or a name. */
    private static List<PortMatch> port(Map<String, Object> entry, String path) {
        String protocolText = Generic.optionalString(entry.get("protocol"), path + ".protocol");
        List<Protocol> protocols;
        Protocol named = null;
        switch (protocolText == null ? "" : protocolText) {
            case "", "ANY" -> protocols = List.of(Protocol.values());
            case "TCP", "UDP", "SCTP" -> {
                named = Protocol.valueOf(protocolText);
                protocols = List.of(named);
            }
            case "ICMP", "ICMPV6", "VRRP", "IGMP" -> {
                return List.of(); // not among the protocols the engine evaluates
            }
            default ->
                throw new InvalidResourceException(path + ".protocol: unsupported protocol '" + protocolText
                        + "' (TCP, UDP, SCTP, ICMP, ICMPV6, VRRP, IGMP or ANY)");
        }
        Object portValue = entry.get("port");
        String port = portValue == null ? "" : Generic.string(portValue, path + ".port");
        List<PortMatch> matches = new ArrayList<>();
        if (port.isEmpty() || port.equals("0")) {
            protocols.forEach(protocol -> matches.add(new PortMatch.Numbered(protocol, PortSet.MIN, PortSet.MAX)));
        } else if (port.chars().allMatch(Character::isDigit)) {
            int from = PolicyReader.portNumber(parse(port, path + ".port"), path + ".port");
            int to = from;
            Object endPort = entry.get("endPort");
            if (endPort != null && Generic.integer(endPort, path + ".endPort") != 0) {
                to = PolicyReader.portNumber(Generic.integer(endPort, path + ".endPort"), path + ".endPort");
                if (to < from) {
                    throw new InvalidResourceException(path + ": endPort is below port");
                }
            }
            int last = to;
            protocols.forEach(protocol -> matches.add(new PortMatch.Numbered(protocol, from, last)));
        } else {
            // A named port is resolved on the destination pod; endPort does not apply to it.
            matches.add(new PortMatch.Named(PolicyReader.portName(port, path + ".port"), named));
        }
        return matches;
    }

    private static int parse(String digits, String path) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new InvalidResourceException(path + ": " + digits + " is not a port (1-65535)", e);
        }
    }
}
