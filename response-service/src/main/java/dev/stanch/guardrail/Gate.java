package dev.stanch.guardrail;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ObjectRef;
import dev.stanch.action.Planning;
import dev.stanch.action.Safety;
import dev.stanch.action.Step;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The guardrails, applied: decides what a planned action becomes first. A pure function of its
 * inputs — the same request, planning, activity and time give the same decision.
 *
 * <p>The rules, in order; the first that applies decides:
 *
 * <ol>
 *   <li>the planner refused → blocked: there is no plan to admit (and the ledger allows a refused
 *       action nothing else);
 *   <li>paused → blocked: the operator's switch stops everything, so it is asked first and its
 *       reason (who, when, why) is what on-call sees, not some rule it made moot;
 *   <li>a protected namespace → blocked: true of the action whatever the load or the mode. The
 *       planners refuse these already; checked again because a plan may have been made with
 *       another {@link Safety} than this configuration's;
 *   <li>the global rate, then the namespace's rate → blocked: the global limit first, because when
 *       both are reached it is the one that also stops every other namespace;
 *   <li>the cap on active actions → blocked;
 *   <li>dry-run, global or the playbook's → dry-run: after every blocking rule, so that a dry run
 *       rehearses the real decision (a dry run that says "dry-run" would have passed the
 *       guardrails), and before approval, so that nobody is asked to approve what changes nothing;
 *   <li>approval required → pending approval for the stage's approvalTimeout, then its
 *       onApprovalTimeout (the ledger sets the deadline when it records the action pending);
 *   <li>otherwise approved.
 * </ol>
 *
 * <p>A rate-limited action is blocked, not delayed: it is final, and the detector's next occurrence
 * is planned afresh. Waiting would run, minutes later and with nobody deciding, a plan made against
 * a cluster that has moved on — approval by silence — and a storm would leave a backlog that goes
 * on changing the cluster at the limit long after the storm.
 */
public final class Gate {

    /** The window of the rate limits: "actions per minute" counts the last minute, sliding. */
    static final Duration RATE_WINDOW = Duration.ofMinutes(1);

    private final Guardrails guardrails;
    private final Safety safety;

    public Gate(Guardrails guardrails) {
        this.guardrails = Objects.requireNonNull(guardrails, "guardrails");
        this.safety = guardrails.safety();
    }

    /**
     * The first status of a planned action, and why.
     *
     * @param request what the playbook stage asked for
     * @param planning the planner's plan or refusal for it
     * @param activity what Stanch is doing now; asked only what the rules reached need
     * @param now the time of the decision: the rate window ends here
     */
    public Admit admit(ActionRequest request, Planning planning, Activity activity, Instant now) {
        return switch (planning) {
            case Planning.Refused(var refusal, var message) ->
                new Admit.Blocked(Rule.REFUSED, "the planner refused (" + refusal.wireName() + "): " + message);
            case Planning.Planned(var plan) -> admit(request, plan, activity, now);
        };
    }

    private Admit admit(ActionRequest request, ActionPlan plan, Activity activity, Instant now) {
        Optional<Pause> pause = activity.pause();
        if (pause.isPresent()) {
            Pause on = pause.get();
            return new Admit.Blocked(Rule.PAUSED, "paused by " + on.by() + " at " + on.at() + ": " + on.reason());
        }
        Optional<String> protectedPod = protectedPod(request, plan);
        if (protectedPod.isPresent()) {
            return new Admit.Blocked(Rule.PROTECTED_NAMESPACE, "protected namespace: " + protectedPod.get());
        }
        Instant since = now.minus(RATE_WINDOW);
        long started = activity.startedSince(since);
        if (started >= guardrails.actionsPerMinute()) {
            return new Admit.Blocked(
                    Rule.RATE_LIMIT,
                    "rate limit: " + actions(started) + " in the last minute (limit " + guardrails.actionsPerMinute()
                            + ")");
        }
        String namespace = request.target().namespace();
        long startedInNamespace = activity.startedSince(since, namespace);
        if (startedInNamespace >= guardrails.actionsPerMinutePerNamespace()) {
            return new Admit.Blocked(
                    Rule.NAMESPACE_RATE_LIMIT,
                    "rate limit in namespace " + namespace + ": " + actions(startedInNamespace)
                            + " in the last minute (limit " + guardrails.actionsPerMinutePerNamespace() + ")");
        }
        long active = activity.active();
        if (active >= guardrails.maxActiveActions()) {
            return new Admit.Blocked(
                    Rule.ACTIVE_CAP,
                    "active-action cap: " + actions(active) + " active (limit " + guardrails.maxActiveActions() + ")");
        }
        Admit unlessDryRun = approval(request);
        List<String> dryRuns = new ArrayList<>();
        if (guardrails.dryRun()) {
            dryRuns.add("global dry-run is on");
        }
        if (request.dryRun()) {
            dryRuns.add("playbook " + request.playbook() + " is in dry-run");
        }
        if (!dryRuns.isEmpty()) {
            return new Admit.DryRun("dry run (" + String.join("; ", dryRuns)
                    + "): the plan is recorded, nothing changes; otherwise " + unlessDryRun.reason());
        }
        return unlessDryRun;
    }

    /** Why the action would touch a pod in a protected namespace: its target, or a pod a step changes. */
    private Optional<String> protectedPod(ActionRequest request, ActionPlan plan) {
        String namespace = request.target().namespace();
        if (safety.isProtected(namespace)) {
            return Optional.of(namespace + " is protected: Stanch does not act on its pods");
        }
        // A peer the plan labels, for instance: the planners refuse that too, with their own Safety.
        for (Step step : plan.steps()) {
            ObjectRef object = step.object();
            if ("v1".equals(object.apiVersion())
                    && "Pod".equals(object.kind())
                    && object.namespace() != null
                    && safety.isProtected(object.namespace())) {
                return Optional.of("the plan changes " + object + " in protected namespace " + object.namespace());
            }
        }
        return Optional.empty();
    }

    private static Admit approval(ActionRequest request) {
        String stage = "stage " + request.stage() + " of playbook " + request.playbook();
        return switch (request.approval()) {
            case AUTO -> new Admit.Approved("approved: no guardrail applies and " + stage + " needs no approval");
            case REQUIRED -> {
                Duration timeout = request.approvalTimeout();
                if (timeout == null) {
                    yield new Admit.PendingApproval(
                            null,
                            request.onApprovalTimeout(),
                            "waiting for approval, as " + stage + " requires, with no deadline");
                }
                // The deadline itself is the ledger's to set, once, when it records the action pending.
                yield new Admit.PendingApproval(
                        timeout,
                        request.onApprovalTimeout(),
                        "waiting for approval, as " + stage + " requires, for " + Durations.format(timeout)
                                + " (approvalTimeout); then "
                                + switch (request.onApprovalTimeout()) {
                                    case REJECT -> "rejected";
                                    case APPROVE -> "approved by silence";
                                }
                                + " (onApprovalTimeout: "
                                + request.onApprovalTimeout().wireName() + ")");
            }
        };
    }

    private static String actions(long count) {
        return count + (count == 1 ? " action" : " actions");
    }
}
