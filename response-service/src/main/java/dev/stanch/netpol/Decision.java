package dev.stanch.netpol;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * How one side of a connection decided: the egress side at the source pod, or the ingress side at
 * the destination pod.
 *
 * @param direction which side
 * @param allowed the side's answer
 * @param tier the tier that decided
 * @param rules the rules that decided: the first matching rule in the Cilium deny, admin and
 *     baseline tiers; every allowing rule in the NetworkPolicy tier (the union: removing one may not
 *     be enough); empty when nothing matched
 * @param isolatedBy the NetworkPolicies that select the pod for this direction (they make the
 *     NetworkPolicy tier decide); empty in the other tiers
 * @param passedBy the Pass rule that handed the decision down from the admin tier, if any
 */
public record Decision(
        Direction direction,
        boolean allowed,
        Tier tier,
        List<RuleRef> rules,
        List<PolicyRef> isolatedBy,
        List<RuleRef> passedBy) {

    public Decision {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(tier, "tier");
        rules = List.copyOf(rules);
        isolatedBy = List.copyOf(isolatedBy);
        passedBy = List.copyOf(passedBy);
    }

    /** One sentence for humans: plans and the on-call engineer read it. */
    public String explain() {
        String side = direction.word();
        String passed = passedBy.isEmpty() ? "" : " after " + passedBy.getFirst() + " passed it to the next tier";
        String sentence = switch (tier) {
            case SAME_POD -> side + " allowed: a pod's traffic to itself is never blocked";
            case EXTERNAL -> side + " not governed: that end is outside the cluster";
            case DEFAULT -> side + " allowed by default: no policy selects the pod for " + side + passed;
            case CILIUM_DENY ->
                side + " denied by " + rules.getFirst() + " (a Cilium deny rule: no allow overrides it)";
            case ADMIN, BASELINE ->
                side
                        + (allowed ? " allowed by " : " denied by ")
                        + rules.getFirst()
                        + " ("
                        + (tier == Tier.ADMIN ? "admin" : "baseline")
                        + " tier)"
                        + passed;
            case NETWORK_POLICY ->
                allowed
                        ? side
                                + " allowed by "
                                + rules.stream().map(RuleRef::toString).collect(Collectors.joining(", "))
                                + passed
                        : side
                                + " denied: the pod is isolated for "
                                + side
                                + " by "
                                + isolatedBy.stream().map(PolicyRef::toString).collect(Collectors.joining(", "))
                                + " and no rule allows it"
                                + passed;
        };
        return sentence;
    }
}
