package dev.stanch.netpol;

/**
 * The side of a connection a policy rule governs: egress rules apply at the source pod, ingress
 * rules at the destination pod. A connection is allowed only when both sides allow it.
 */
public enum Direction {
    INGRESS,
    EGRESS;

    /** The lower-case word used in explanations and the API ("ingress", "egress"). */
    public String word() {
        return this == INGRESS ? "ingress" : "egress";
    }
}
