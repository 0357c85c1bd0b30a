package dev.stanch.netpol;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Reads policy objects into the engine's models, applying the API's defaults and rejecting what the
 * API server would reject ({@link InvalidResourceException}).
 */
final class PolicyReader {

    static final String POLICY_GROUP = "policy.networking.k8s.io";

    private PolicyReader() {}

    /** True for the cluster-wide policy kinds read from generic resources. */
    static boolean isAdminPolicy(@Nullable String apiVersion, @Nullable String kind) {
        if (apiVersion == null || kind == null) {
            return false;
        }
        return switch (kind) {
            case "AdminNetworkPolicy", "BaselineAdminNetworkPolicy" -> apiVersion.equals(POLICY_GROUP + "/v1alpha1");
            case "ClusterNetworkPolicy" ->
                apiVersion.equals(POLICY_GROUP + "/v1alpha2") || apiVersion.equals(POLICY_GROUP + "/v1beta1");
            default -> false;
        };
    }

    // ---------------------------------------------------------------- NetworkPolicy

    static NetworkPolicyModel networkPolicy(NetworkPolicy policy) {
        String name = policy.getMetadata() == null ? null : policy.getMetadata().getName();
        if (name == null || name.isEmpty()) {
            throw new InvalidResourceException("metadata.name is missing");
        }
        String namespace = namespaceOf(policy.getMetadata().getNamespace());
        PolicyRef ref = new PolicyRef(PolicyKind.NETWORK_POLICY, namespace, name);
        NetworkPolicySpec spec = policy.getSpec() == null ? new NetworkPolicySpec() : policy.getSpec();
        // An absent podSelector decodes to the empty selector in the API: it selects every pod.
        Selector podSelector = spec.getPodSelector() == null
                ? Selector.EVERYTHING
                : Selector.of(spec.getPodSelector(), "spec.podSelector");

        List<NetworkPolicyModel.Rule> ingressRules = new ArrayList<>();
        List<NetworkPolicyIngressRule> ingress = nonNull(spec.getIngress());
        for (int i = 0; i < ingress.size(); i++) {
            NetworkPolicyIngressRule rule = ingress.get(i);
            String path = "spec.ingress[" + i + "]";
            if (rule == null) {
                throw new InvalidResourceException(path + ": empty rule");
            }
            ingressRules.add(new NetworkPolicyModel.Rule(
                    i + 1,
                    peers(nonNull(rule.getFrom()), path + ".from"),
                    ports(nonNull(rule.getPorts()), path + ".ports")));
        }
        List<NetworkPolicyModel.Rule> egressRules = new ArrayList<>();
        List<NetworkPolicyEgressRule> egress = nonNull(spec.getEgress());
        for (int i = 0; i < egress.size(); i++) {
            NetworkPolicyEgressRule rule = egress.get(i);
            String path = "spec.egress[" + i + "]";
            if (rule == null) {
                throw new InvalidResourceException(path + ": empty rule");
            }
            egressRules.add(new NetworkPolicyModel.Rule(
                    i + 1,
                    peers(nonNull(rule.getTo()), path + ".to"),
                    ports(nonNull(rule.getPorts()), path + ".ports")));
        }

        boolean isolatesIngress;
        boolean isolatesEgress;
        List<String> policyTypes = nonNull(spec.getPolicyTypes());
        if (policyTypes.isEmpty()) {
            // The API default: every policy affects ingress; egress only when it has egress rules.
            isolatesIngress = true;
            isolatesEgress = !egressRules.isEmpty();
        } else {
            isolatesIngress = false;
            isolatesEgress = false;
            for (String type : policyTypes) {
                switch (type == null ? "" : type) {
                    case "Ingress" -> isolatesIngress = true;
                    case "Egress" -> isolatesEgress = true;
                    default ->
                        throw new InvalidResourceException(
                                "spec.policyTypes: unknown type '" + type + "' (Ingress, Egress)");
                }
            }
        }
        return new NetworkPolicyModel(
                ref, namespace, podSelector, isolatesIngress, isolatesEgress, ingressRules, egressRules);
    }

    private static List<NetworkPolicyModel.Peer> peers(List<NetworkPolicyPeer> peers, String path) {
        List<NetworkPolicyModel.Peer> result = new ArrayList<>(peers.size());
        for (int i = 0; i < peers.size(); i++) {
            NetworkPolicyPeer peer = peers.get(i);
            String peerPath = path + "[" + i + "]";
            if (peer == null) {
                throw new InvalidResourceException(peerPath + ": empty peer");
            }
            IPBlock block = peer.getIpBlock();
            LabelSelector namespaces = peer.getNamespaceSelector();
            LabelSelector pods = peer.getPodSelector();
            if (block != null) {
                if (namespaces != null || pods != null) {
                    throw new InvalidResourceException(peerPath + ": ipBlock cannot be combined with selectors");
                }
                result.add(new NetworkPolicyModel.Block(ipBlock(block, peerPath + ".ipBlock")));
            } else if (namespaces != null || pods != null) {
                result.add(new NetworkPolicyModel.Pods(
                        namespaces == null ? null : Selector.of(namespaces, peerPath + ".namespaceSelector"),
                        pods == null ? null : Selector.of(pods, peerPath + ".podSelector")));
            } else {
                throw new InvalidResourceException(
                        peerPath + ": a peer needs podSelector, namespaceSelector or ipBlock");
            }
        }
        return result;
    }

    private static IpSet ipBlock(IPBlock block, String path) {
        IpRange cidr = cidr(block.getCidr(), path + ".cidr");
        List<IpRange> except = new ArrayList<>();
        List<String> excepts = nonNull(block.getExcept());
        for (int i = 0; i < excepts.size(); i++) {
            IpRange range = cidr(excepts.get(i), path + ".except[" + i + "]");
            if (range.ipv6() != cidr.ipv6()) {
                throw new InvalidResourceException(path + ".except[" + i + "]: not the address family of the cidr");
            }
            except.add(range);
        }
        return IpSet.of(List.of(cidr)).minus(IpSet.of(except));
    }

    static IpRange cidr(@Nullable String text, String path) {
        if (text == null || text.isEmpty()) {
            throw new InvalidResourceException(path + ": missing");
        }
        try {
            return IpRange.cidr(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidResourceException(path + ": " + e.getMessage(), e);
        }
    }

    private static List<PortMatch> ports(List<NetworkPolicyPort> ports, String path) {
        List<PortMatch> result = new ArrayList<>(ports.size());
        for (int i = 0; i < ports.size(); i++) {
            NetworkPolicyPort port = ports.get(i);
            String portPath = path + "[" + i + "]";
            if (port == null) {
                throw new InvalidResourceException(portPath + ": empty port");
            }
            Protocol protocol = Protocol.parse(port.getProtocol(), portPath + ".protocol");
            IntOrString value = port.getPort();
            Integer endPort = port.getEndPort();
            if (value == null || (value.getIntVal() == null && value.getStrVal() == null)) {
                if (endPort != null) {
                    throw new InvalidResourceException(portPath + ": endPort needs a numeric port");
                }
                result.add(new PortMatch.Numbered(protocol, PortSet.MIN, PortSet.MAX));
            } else if (value.getIntVal() != null) {
                int number = portNumber(value.getIntVal(), portPath + ".port");
                int end = number;
                if (endPort != null) {
                    end = portNumber(endPort, portPath + ".endPort");
                    if (end < number) {
                        throw new InvalidResourceException(portPath + ": endPort is below port");
                    }
                }
                result.add(new PortMatch.Numbered(protocol, number, end));
            } else {
                if (endPort != null) {
                    throw new InvalidResourceException(portPath + ": endPort cannot follow a named port");
                }
                result.add(new PortMatch.Named(portName(value.getStrVal(), portPath + ".port"), protocol));
            }
        }
        return result;
    }

    static int portNumber(int number, String path) {
        if (number < PortSet.MIN || number > PortSet.MAX) {
            throw new InvalidResourceException(path + ": " + number + " is not a port (1-65535)");
        }
        return number;
    }

    /** IANA service names, as the API validates them: they always contain a letter. */
    static String portName(String name, String path) {
        if (name.isEmpty() || name.chars().noneMatch(Character::isLetter)) {
            throw new InvalidResourceException(path + ": '" + name + "' is neither a port number nor a port name");
        }
        return name;
    }

    static String namespaceOf(@Nullable String namespace) {
        return namespace == null || namespace.isEmpty() ? "default" : namespace;
    }

    private static <T> List<T> nonNull(@Nullable List<T> list) {
        return list == null ? List.of() : list;
    }

    // ------------------------------------------- AdminNetworkPolicy and friends

    /**
     * Reads an AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy.
     *
     * @param warnings receives notes about parts the engine cannot model (nodes, domain names,
     *     fail-closed rules)
     */
    static TieredPolicyModel adminPolicy(GenericKubernetesResource resource, Consumer<String> warnings) {
        String kind = resource.getKind();
        String name =
                resource.getMetadata() == null ? null : resource.getMetadata().getName();
        if (name == null || name.isEmpty()) {
            throw new InvalidResourceException("metadata.name is missing");
        }
        Map<String, Object> spec =
                Generic.map(resource.getAdditionalProperties().get("spec"), "spec");
        Flavour flavour = switch (kind) {
            case "AdminNetworkPolicy" -> Flavour.ANP;
            case "BaselineAdminNetworkPolicy" -> Flavour.BANP;
            case "ClusterNetworkPolicy" -> Flavour.CNP;
            default -> throw new InvalidResourceException("not a cluster-wide policy kind: " + kind);
        };
        PolicyRef ref = new PolicyRef(flavour.kind, null, name);
        Tier tier;
        int priority;
        switch (flavour) {
            case ANP -> {
                tier = Tier.ADMIN;
                priority = priority(spec.get("priority"));
            }
            case BANP -> {
                tier = Tier.BASELINE;
                priority = Integer.MAX_VALUE;
                if (!"default".equals(name)) {
                    warnings.accept(ref + ": the API allows only one BaselineAdminNetworkPolicy, named 'default'");
                }
            }
            case CNP -> {
                String tierName = Generic.optionalString(spec.get("tier"), "spec.tier");
                tier = switch (tierName == null ? "" : tierName) {
                    case "Admin" -> Tier.ADMIN;
                    case "Baseline" -> Tier.BASELINE;
                    default ->
                        throw new InvalidResourceException("spec.tier: '" + tierName + "' is not Admin or Baseline");
                };
                priority = priority(spec.get("priority"));
            }
            default -> throw new IllegalStateException();
        }
        TieredPolicyModel.Subject subject = subject(spec.get("subject"));
        List<TieredPolicyModel.Rule> ingress =
                rules(spec.get("ingress"), "spec.ingress", Direction.INGRESS, flavour, ref, warnings);
        List<TieredPolicyModel.Rule> egress =
                rules(spec.get("egress"), "spec.egress", Direction.EGRESS, flavour, ref, warnings);
        return new TieredPolicyModel(ref, tier, priority, subject, ingress, egress, Set.of());
    }

    /** The three generic kinds differ in action names, port syntax and peers. */
    private enum Flavour {
        ANP(PolicyKind.ADMIN_NETWORK_POLICY),
        BANP(PolicyKind.BASELINE_ADMIN_NETWORK_POLICY),
        CNP(PolicyKind.CLUSTER_NETWORK_POLICY);

        final PolicyKind kind;

        Flavour(PolicyKind kind) {
            this.kind = kind;
        }
    }

    private static int priority(@Nullable Object value) {
        if (value == null) {
            throw new InvalidResourceException("spec.priority: missing");
        }
        int priority = Generic.integer(value, "spec.priority");
        if (priority < 0 || priority > 1000) {
            throw new InvalidResourceException("spec.priority: " + priority + " is not within 0-1000");
        }
        return priority;
    }

    private static TieredPolicyModel.Subject subject(@Nullable Object value) {
        Map<String, Object> subject = Generic.map(value, "spec.subject");
        Object namespaces = subject.get("namespaces");
        Object pods = subject.get("pods");
        if ((namespaces == null) == (pods == null)) {
            throw new InvalidResourceException("spec.subject: set exactly one of namespaces, pods");
        }
        if (namespaces != null) {
            return new TieredPolicyModel.Subject(
                    Selector.fromMap(namespaces, "spec.subject.namespaces"), Selector.EVERYTHING);
        }
        Map<String, Object> podsMap = Generic.map(pods, "spec.subject.pods");
        return new TieredPolicyModel.Subject(
                Selector.fromMap(podsMap.get("namespaceSelector"), "spec.subject.pods.namespaceSelector"),
                Selector.fromMap(podsMap.get("podSelector"), "spec.subject.pods.podSelector"));
    }

    private static List<TieredPolicyModel.Rule> rules(
            @Nullable Object value,
            String path,
            Direction direction,
            Flavour flavour,
            PolicyRef ref,
            Consumer<String> warnings) {
        if (value == null) {
            return List.of();
        }
        List<Object> list = Generic.list(value, path);
        List<TieredPolicyModel.Rule> rules = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String rulePath = path + "[" + i + "]";
            Map<String, Object> rule = Generic.map(list.get(i), rulePath);
            String name = Generic.optionalString(rule.get("name"), rulePath + ".name");
            Action action = action(rule.get("action"), rulePath + ".action", flavour);
            String peersField = direction == Direction.INGRESS ? "from" : "to";
            List<Object> peerList = Generic.list(rule.get(peersField), rulePath + "." + peersField);
            if (peerList.isEmpty()) {
                throw new InvalidResourceException(rulePath + "." + peersField + ": needs at least one peer");
            }
            List<TieredPolicyModel.Peer> peers = new ArrayList<>();
            boolean unknownPeer = false;
            for (int j = 0; j < peerList.size(); j++) {
                TieredPolicyModel.Peer peer =
                        peer(peerList.get(j), rulePath + "." + peersField + "[" + j + "]", direction, flavour);
                if (peer == null) {
                    unknownPeer = true;
                } else {
                    if (peer instanceof TieredPolicyModel.Unresolved(String what)) {
                        warnings.accept(ref
                                + " "
                                + rulePath
                                + ": '"
                                + what
                                + "' peers cannot be resolved from manifests; they match nothing here");
                    }
                    peers.add(peer);
                }
            }
            String portsField = flavour == Flavour.CNP ? "protocols" : "ports";
            PortsRead ports = ports(rule.get(portsField), rulePath + "." + portsField, flavour);
            int index = i + 1;
            if (unknownPeer || ports.unknown) {
                // The API asks implementations to fail closed on fields they do not know: an allow rule
                // then matches nothing it does not understand, a deny or pass rule denies everything.
                if (action == Action.ALLOW) {
                    warnings.accept(
                            ref + " " + rulePath + ": unrecognised peer or port; ignoring that part (fail closed)");
                    if (peers.isEmpty() || (ports.matches != null && ports.matches.isEmpty())) {
                        continue;
                    }
                    rules.add(new TieredPolicyModel.Rule(index, name, action, peers, ports.matches));
                } else {
                    warnings.accept(ref
                            + " "
                            + rulePath
                            + ": unrecognised peer or port; treating the rule as deny-all (fail closed)");
                    rules.add(new TieredPolicyModel.Rule(
                            index, name, Action.DENY, List.of(new TieredPolicyModel.Everything()), null));
                }
                continue;
            }
            rules.add(new TieredPolicyModel.Rule(index, name, action, peers, ports.matches));
        }
        return rules;
    }

    private static Action action(@Nullable Object value, String path, Flavour flavour) {
        String action = Generic.optionalString(value, path);
        String allow = flavour == Flavour.CNP ? "Accept" : "Allow";
        if (allow.equals(action)) {
            return Action.ALLOW;
        }
        if ("Deny".equals(action)) {
            return Action.DENY;
        }
        if ("Pass".equals(action) && flavour != Flavour.BANP) {
            return Action.PASS;
        }
        throw new InvalidResourceException(path
                + ": '"
                + action
                + "' is not "
                + (flavour == Flavour.BANP ? allow + " or Deny" : allow + ", Deny or Pass"));
    }

    /** A peer, or {@code null} when it sets no field this engine knows (to fail closed). */
    private static TieredPolicyModel.@Nullable Peer peer(
            Object value, String path, Direction direction, Flavour flavour) {
        Map<String, Object> peer = Generic.map(value, path);
        List<String> known = new ArrayList<>(List.of("namespaces", "pods"));
        if (direction == Direction.EGRESS) {
            known.add("networks");
            known.add("nodes");
            if (flavour == Flavour.CNP) {
                known.add("domainNames");
            }
        }
        List<String> set = known.stream().filter(peer::containsKey).toList();
        if (set.isEmpty()) {
            return null;
        }
        if (set.size() > 1) {
            throw new InvalidResourceException(path + ": set exactly one of " + String.join(", ", set));
        }
        String field = set.getFirst();
        Object content = peer.get(field);
        return switch (field) {
            case "namespaces" ->
                new TieredPolicyModel.Pods(Selector.fromMap(content, path + ".namespaces"), Selector.EVERYTHING);
            case "pods" -> {
                Map<String, Object> pods = Generic.map(content, path + ".pods");
                yield new TieredPolicyModel.Pods(
                        Selector.fromMap(pods.get("namespaceSelector"), path + ".pods.namespaceSelector"),
                        Selector.fromMap(pods.get("podSelector"), path + ".pods.podSelector"));
            }
            case "networks" -> {
                List<IpRange> ranges = new ArrayList<>();
                List<Object> cidrs = Generic.list(content, path + ".networks");
                for (int i = 0; i < cidrs.size(); i++) {
                    String cidrPath = path + ".networks[" + i + "]";
                    ranges.add(cidr(Generic.string(cidrs.get(i), cidrPath), cidrPath));
                }
                yield new TieredPolicyModel.Networks(IpSet.of(ranges));
            }
            default -> new TieredPolicyModel.Unresolved(field);
        };
    }

    /**
     * Ports as read.
     *
     * @param matches the understood entries, or {@code null} for "every port"
     * @param unknown true when some entry set no field this engine knows
     */
    private record PortsRead(@Nullable List<PortMatch> matches, boolean unknown) {}

    private static PortsRead ports(@Nullable Object value, String path, Flavour flavour) {
        if (value == null) {
            return new PortsRead(null, false);
        }
        List<Object> list = Generic.list(value, path);
        List<PortMatch> matches = new ArrayList<>();
        boolean unknown = false;
        for (int i = 0; i < list.size(); i++) {
            String entryPath = path + "[" + i + "]";
            Map<String, Object> entry = Generic.map(list.get(i), entryPath);
            PortMatch match = flavour == Flavour.CNP ? cnpProtocol(entry, entryPath) : anpPort(entry, entryPath);
            if (match == null) {
                unknown = true;
            } else {
                matches.add(match);
            }
        }
        return new PortsRead(matches, unknown);
    }

    private static @Nullable PortMatch anpPort(Map<String, Object> entry, String path) {
        exactlyOne(entry, path, "portNumber", "namedPort", "portRange");
        if (entry.containsKey("portNumber")) {
            Map<String, Object> number = Generic.map(entry.get("portNumber"), path + ".portNumber");
            Protocol protocol = Protocol.parse(
                    Generic.optionalString(number.get("protocol"), path + ".portNumber.protocol"),
                    path + ".portNumber.protocol");
            int port = portNumber(Generic.integer(number.get("port"), path + ".portNumber.port"), path);
            return new PortMatch.Numbered(protocol, port, port);
        }
        if (entry.containsKey("namedPort")) {
            return new PortMatch.Named(
                    portName(Generic.string(entry.get("namedPort"), path + ".namedPort"), path), null);
        }
        if (entry.containsKey("portRange")) {
            Map<String, Object> range = Generic.map(entry.get("portRange"), path + ".portRange");
            Protocol protocol = Protocol.parse(
                    Generic.optionalString(range.get("protocol"), path + ".portRange.protocol"),
                    path + ".portRange.protocol");
            return numberedRange(protocol, range, path + ".portRange");
        }
        return null;
    }

    private static @Nullable PortMatch cnpProtocol(Map<String, Object> entry, String path) {
        exactlyOne(entry, path, "tcp", "udp", "sctp", "destinationNamedPort");
        if (entry.containsKey("destinationNamedPort")) {
            return new PortMatch.Named(
                    portName(Generic.string(entry.get("destinationNamedPort"), path + ".destinationNamedPort"), path),
                    null);
        }
        for (Protocol protocol : Protocol.values()) {
            String field = protocol.name().toLowerCase(java.util.Locale.ROOT);
            if (!entry.containsKey(field)) {
                continue;
            }
            Object content = entry.get(field);
            Map<String, Object> match = content == null ? Map.of() : Generic.map(content, path + "." + field);
            Object destination = match.get("destinationPort");
            if (destination == null) {
                return new PortMatch.Numbered(protocol, PortSet.MIN, PortSet.MAX);
            }
            String portPath = path + "." + field + ".destinationPort";
            Map<String, Object> port = Generic.map(destination, portPath);
            if (port.containsKey("number")) {
                int number = portNumber(Generic.integer(port.get("number"), portPath + ".number"), portPath);
                return new PortMatch.Numbered(protocol, number, number);
            }
            if (port.containsKey("range")) {
                return numberedRange(
                        protocol, Generic.map(port.get("range"), portPath + ".range"), portPath + ".range");
            }
            return null;
        }
        return null;
    }

    /** The API allows one of these fields per entry; an entry with none is handled by the caller. */
    private static void exactlyOne(Map<String, Object> entry, String path, String... fields) {
        List<String> set =
                java.util.Arrays.stream(fields).filter(entry::containsKey).toList();
        if (set.size() > 1) {
            throw new InvalidResourceException(path + ": set exactly one of " + String.join(", ", set));
        }
    }

    private static PortMatch numberedRange(Protocol protocol, Map<String, Object> range, String path) {
        int start = portNumber(Generic.integer(range.get("start"), path + ".start"), path + ".start");
        int end = portNumber(Generic.integer(range.get("end"), path + ".end"), path + ".end");
        if (end < start) {
            throw new InvalidResourceException(path + ": end is below start");
        }
        return new PortMatch.Numbered(protocol, start, end);
    }
}
