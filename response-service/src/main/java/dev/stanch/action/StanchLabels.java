package dev.stanch.action;

/**
 * The labels and annotations Stanch puts on what it creates or changes, so that every change is
 * found again by its action id — after a crash too.
 */
public final class StanchLabels {

    /** On every object Stanch creates. */
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

    public static final String MANAGED_BY_VALUE = "stanch";

    /** On every object Stanch creates: the action it belongs to. */
    public static final String ACTION_ID = "stanch.dev/action-id";

    /** On a block policy: the uid of the pod whose flow it cuts (pod names do not fit a label). */
    public static final String POD_UID = "stanch.dev/pod-uid";

    /** On a block policy: {@code egress} or {@code ingress}. */
    public static final String DIRECTION = "stanch.dev/direction";

    /** On a block policy: the flow this action cuts, as {@code protocol peer port} (port may be *). */
    public static final String BLOCKED_FLOW = "stanch.dev/blocked-flow";

    /** Prefix of the label that gives a pod a selector of its own for one block: {@code <prefix><id>}. */
    public static final String BLOCK_PREFIX = "block.stanch.dev/";

    /** Prefix of the label a peer pod gets so that one block can leave it out: {@code <prefix><id>}. */
    public static final String PEER_PREFIX = "peer.stanch.dev/";

    /** On a quarantined pod: the quarantine action's id. */
    public static final String QUARANTINE = "stanch.dev/quarantine";

    /** On a detached pod: the labels moved aside, as a JSON object. */
    public static final String DETACHED_LABELS = "stanch.dev/detached-labels";

    /**
     * On a quarantined pod with a controller: the controller's uid, so that the pod still counts
     * toward its workload's share after a detach has orphaned it.
     */
    public static final String QUARANTINED_FROM = "stanch.dev/quarantined-from";

    /** The label Kubernetes 1.29+ honours on a legacy token Secret: the token no longer authenticates. */
    public static final String LEGACY_TOKEN_INVALID_SINCE = "kubernetes.io/legacy-token-invalid-since";

    private StanchLabels() {}

    public static String blockLabel(String actionId) {
        return BLOCK_PREFIX + actionId;
    }

    public static String peerLabel(String actionId) {
        return PEER_PREFIX + actionId;
    }
}
