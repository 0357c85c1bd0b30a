package dev.stanch.action;

import dev.stanch.netpol.ClusterState;
import dev.stanch.netpol.Connection;
import dev.stanch.netpol.ConnectionSet;
import dev.stanch.netpol.ConnectivityChange;
import dev.stanch.netpol.Decision;
import dev.stanch.netpol.Direction;
import dev.stanch.netpol.Endpoint;
import dev.stanch.netpol.NetpolEngine;
import dev.stanch.netpol.Protocol;
import dev.stanch.netpol.Verdict;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * What the policy engine says about the connectivity a quarantined pod keeps: NetworkPolicies add
 * up, so any other policy that selects the pod can let traffic back in past the deny-all.
 */
final class Isolation {

    private Isolation() {}

    /**
     * Every connection the pod may still open or accept in this view, in both directions, with peers
     * grouped as the engine's diff groups them. Computed as the diff against a view in which nothing
     * reaches the pod at all — the same pods with no policy but a deny-all on the pod alone — so that
     * each change's {@code before} is exactly what remains.
     */
    static List<ConnectivityChange> remaining(NetpolEngine view, Pod pod) {
        String namespace = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        // The uid is unique, so the deny-all of the cut-off view selects this pod and no other.
        Map<String, String> cutOff =
                Map.of(StanchLabels.QUARANTINE, pod.getMetadata().getUid());
        ClusterState.Builder isolated = ClusterState.builder();
        for (HasMetadata object : view.state().objects()) {
            if (object instanceof NetworkPolicy || object instanceof GenericKubernetesResource) {
                continue;
            }
            if (object instanceof Pod other
                    && namespace.equals(other.getMetadata().getNamespace())
                    && name.equals(other.getMetadata().getName())) {
                isolated.add(new PodBuilder(other)
                        .editMetadata()
                        .withLabels(cutOff)
                        .endMetadata()
                        .build());
            } else {
                isolated.add(object);
            }
        }
        isolated.add(new NetworkPolicyBuilder()
                .withNewMetadata()
                .withName("cut-off")
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withNewPodSelector()
                .withMatchLabels(cutOff)
                .endPodSelector()
                .withPolicyTypes("Ingress", "Egress")
                .endSpec()
                .build());
        return NetpolEngine.diff(view, NetpolEngine.index(isolated.build()), Endpoint.pod(namespace, name))
                .changes();
    }

    /** A remaining change as the connection it leaves: {@code src => dst : connections}. */
    static Connection connection(ConnectivityChange change) {
        return change.direction() == Direction.EGRESS
                ? new Connection(change.subject(), change.peer(), change.before())
                : new Connection(change.peer(), change.subject(), change.before());
    }

    /**
     * The policies whose rules let the remaining connections through at the pod's side, by name. The
     * engine is asked once per protocol and start of a port range of each connection set; a workload
     * peer is asked for through one of its pods (its pods changed alike, which is why the diff names
     * the workload).
     */
    static Set<String> allowedBy(NetpolEngine view, ClusterSnapshot cluster, List<ConnectivityChange> remaining) {
        Set<String> policies = new TreeSet<>();
        Map<ConnectionSet, List<Probe>> probes = new HashMap<>();
        for (ConnectivityChange change : remaining) {
            Endpoint peer = representative(change.peer(), cluster);
            if (peer == null) {
                continue;
            }
            for (Probe probe : probes.computeIfAbsent(change.before(), Isolation::probes)) {
                Verdict verdict = change.direction() == Direction.EGRESS
                        ? view.allowed(change.subject(), peer, probe.protocol(), probe.port())
                        : view.allowed(peer, change.subject(), probe.protocol(), probe.port());
                Decision podSide = change.direction() == Direction.EGRESS ? verdict.egress() : verdict.ingress();
                podSide.rules().forEach(rule -> policies.add(rule.policy().toString()));
            }
        }
        return policies;
    }

    /**
     * True when a remaining connection is covered by one the plan listed: same ends, and no more
     * protocols or ports.
     */
    static boolean planned(Connection connection, List<String> plannedLines) {
        String ends = connection.source() + " => " + connection.destination() + " : ";
        for (String line : plannedLines) {
            if (line.startsWith(ends)) {
                ConnectionSet planned = parse(line.substring(ends.length()));
                if (planned != null && connection.connections().minus(planned).isEmpty()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Reads a connection set as {@link ConnectionSet#toString()} prints it ({@code All Connections},
     * {@code TCP 80,8080-8090,UDP 53}); null for anything else, which then counts as not planned.
     */
    private static @Nullable ConnectionSet parse(String text) {
        if (text.equals(ConnectionSet.ALL.toString())) {
            return ConnectionSet.ALL;
        }
        ConnectionSet result = ConnectionSet.NONE;
        Protocol protocol = null;
        for (String part : text.split(",")) {
            String range = part;
            int space = part.indexOf(' ');
            if (space > 0) {
                try {
                    protocol = Protocol.valueOf(part.substring(0, space));
                } catch (IllegalArgumentException e) {
                    return null;
                }
                range = part.substring(space + 1);
            }
            if (protocol == null) {
                return null;
            }
            String[] bounds = range.split("-", -1);
            if (bounds.length > 2) {
                return null;
            }
            try {
                int from = Integer.parseInt(bounds[0]);
                int to = bounds.length == 2 ? Integer.parseInt(bounds[1]) : from;
                result = result.union(ConnectionSet.of(protocol, from, to));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return result;
    }

    /**
     * One protocol and port to ask the engine about.
     *
     * @param protocol the protocol
     * @param port the port
     */
    private record Probe(Protocol protocol, int port) {}

    /** The first port of every range of every protocol in the set. */
    private static List<Probe> probes(ConnectionSet connections) {
        List<Probe> probes = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            for (int port = 1; port <= 65535; port++) {
                if (connections.contains(protocol, port) && (port == 1 || !connections.contains(protocol, port - 1))) {
                    probes.add(new Probe(protocol, port));
                }
            }
        }
        return probes;
    }

    /** The peer as the engine can be asked about it: a workload through one of its running pods. */
    private static @Nullable Endpoint representative(Endpoint peer, ClusterSnapshot cluster) {
        if (!(peer instanceof Endpoint.Workload(String namespace, String kind, String name))) {
            return peer;
        }
        Optional<Pod> member = cluster.pods().stream()
                .filter(pod -> namespace.equals(pod.getMetadata().getNamespace()) && !finished(pod))
                .filter(pod -> pod.getMetadata().getOwnerReferences() != null
                        && pod.getMetadata().getOwnerReferences().stream()
                                .anyMatch(owner -> controls(owner, kind, name)))
                .min(Comparator.comparing(pod -> pod.getMetadata().getName()));
        return member.map(pod -> Endpoint.pod(namespace, pod.getMetadata().getName()))
                .orElse(null);
    }

    private static boolean controls(OwnerReference owner, String kind, String name) {
        return Boolean.TRUE.equals(owner.getController())
                && kind.equals(owner.getKind())
                && name.equals(owner.getName());
    }

    /** A pod that finished (Succeeded, Failed) has no network: the engine leaves it out. */
    static boolean finished(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }
}
