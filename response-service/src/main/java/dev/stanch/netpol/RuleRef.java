package dev.stanch.netpol;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Names one rule of one policy.
 *
 * @param policy the policy
 * @param direction whether it is an ingress or an egress rule
 * @param index its position among the policy's rules of that direction, from 1
 * @param name the rule's name, where the API has one (AdminNetworkPolicy and friends)
 * @param action what it does with what it matches
 */
public record RuleRef(
        PolicyRef policy,
        Direction direction,
        int index,
        @Nullable String name,
        Action action) {

    public RuleRef {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(action, "action");
    }

    /**
     * {@code NetworkPolicy ns/p ingress rule #1}, {@code AdminNetworkPolicy a egress rule #2 "x"}.
     */
    @Override
    public String toString() {
        return policy
                + " "
                + direction.word()
                + " rule #"
                + index
                + (name == null || name.isEmpty() ? "" : " \"" + name + "\"");
    }
}
