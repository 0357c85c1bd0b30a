package dev.stanch.playbook;

import dev.stanch.detection.Detection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The closed set of actions a playbook stage can ask for, with the parameters each accepts and what
 * each needs from a detection. The set grows by adding a constant here and its implementation in
 * the action package (an exhaustive switch there makes the compiler point at what is missing).
 */
public enum ActionKind {
    /** Cut one flow of one pod with a NetworkPolicy generated for that pod alone. */
    BLOCK_CONNECTION(
            "block-connection",
            true,
            List.of(ParamSpec.oneOf(
                    "granularity",
                    List.of("port", "address"),
                    "port",
                    "port: cut only peer:port where the API server supports endPort, else the whole"
                            + " address (the plan says which); address: cut every port of the peer"))),

    /** Take a service account's API permissions and legacy tokens away. */
    REVOKE_TOKEN(
            "revoke-token",
            false,
            List.of(ParamSpec.bool(
                    "rotateServiceAccount",
                    false,
                    "also recreate the ServiceAccount so that every bound token dies; irreversible"))),

    /** Keep the pod alive for forensics and cut it off the network. */
    QUARANTINE_POD(
            "quarantine-pod",
            false,
            List.of(ParamSpec.bool(
                    "detach",
                    false,
                    "move the labels its Services and owner select on into an annotation, so that it"
                            + " leaves their endpoints and its controller starts a replacement")));

    private final String wireName;
    private final boolean needsConnection;
    private final List<ParamSpec> params;

    ActionKind(String wireName, boolean needsConnection, List<ParamSpec> params) {
        this.wireName = wireName;
        this.needsConnection = needsConnection;
        this.params = params;
    }

    public String wireName() {
        return wireName;
    }

    /** True when the action can only act on a detection that carries a connection. */
    public boolean needsConnection() {
        return needsConnection;
    }

    public List<ParamSpec> params() {
        return params;
    }

    public Optional<ParamSpec> param(String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    public static Optional<ActionKind> fromWireName(String name) {
        for (ActionKind kind : values()) {
            if (kind.wireName.equals(name)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    /**
     * The parameters as the action will see them: the stage's values over the defaults, plus what the
     * action takes from the detection (the flow to cut, for block-connection).
     */
    Map<String, Object> resolve(Map<String, Object> stageParams, Detection detection) {
        Map<String, Object> resolved = new LinkedHashMap<>();
        for (ParamSpec spec : params) {
            Object value = stageParams.getOrDefault(spec.name(), spec.defaultValue());
            if (value != null) {
                resolved.put(spec.name(), value);
            }
        }
        if (needsConnection && detection.connection() != null) {
            var connection = detection.connection();
            resolved.put("direction", connection.direction().wireName());
            resolved.put("protocol", connection.protocol());
            resolved.put("peerIp", connection.peerIp());
            if (connection.peerPort() != null) {
                resolved.put("peerPort", connection.peerPort());
            }
            // For ingress the port to cut is the pod's own: the peer's is a client's ephemeral port.
            if (connection.localPort() != null) {
                resolved.put("localPort", connection.localPort());
            }
        }
        return resolved;
    }
}
