package dev.stanch.netpol;

import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The answer to "may this connection be opened?": allowed only when the egress side (at the source)
 * and the ingress side (at the destination) both allow it.
 *
 * @param allowed the overall answer
 * @param egress how the source side decided
 * @param ingress how the destination side decided
 */
public record Verdict(boolean allowed, Decision egress, Decision ingress) {

    public Verdict {
        Objects.requireNonNull(egress, "egress");
        Objects.requireNonNull(ingress, "ingress");
        if (allowed != (egress.allowed() && ingress.allowed())) {
            throw new IllegalArgumentException("a connection is allowed only when both sides allow it");
        }
    }

    /** The decisions that deny, empty when the connection is allowed. */
    public List<Decision> denials() {
        return Stream.of(egress, ingress).filter(d -> !d.allowed()).toList();
    }

    public String explain() {
        return (allowed ? "allowed" : "denied") + ": " + egress.explain() + "; " + ingress.explain();
    }
}
