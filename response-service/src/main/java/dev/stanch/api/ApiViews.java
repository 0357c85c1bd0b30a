package dev.stanch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.stanch.action.PlanDocument;
import dev.stanch.action.Planning;
import dev.stanch.detection.Source;
import dev.stanch.guardrail.Admit;
import dev.stanch.guardrail.Pause;
import dev.stanch.ledger.Action;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.AuditEntry;
import dev.stanch.ledger.AuditVerification;
import dev.stanch.ledger.ControlEvent;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Decision;
import dev.stanch.playbook.Durations;
import dev.stanch.playbook.Playbook;
import dev.stanch.playbook.Problem;
import dev.stanch.playbook.Stage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * What the REST API answers, as JSON: the ledger's and the playbooks' records with every enumeration
 * by its wire name ({@code pending-approval}, {@code block-connection}) and durations as playbooks
 * write them ({@code 30m}). Plain records, so that the OpenAPI document describes them.
 */
final class ApiViews {

    private ApiViews() {}

    record TargetView(String namespace, String pod) {}

    record LeaseView(String owner, Instant until) {}

    /** One action, without its plan and trail. */
    record ActionView(
            UUID id,
            String detectionId,
            String playbook,
            String stage,
            long occurrence,
            String kind,
            TargetView target,
            Map<String, Object> params,
            String approval,
            @Nullable String approvalTimeout,
            @Nullable Instant approvalDeadline,
            String onApprovalTimeout,
            @Nullable String expireAfter,
            @Nullable Instant expiresAt,
            boolean dryRun,
            String status,
            boolean planned,
            @Nullable String refusal,
            @Nullable String refusalMessage,
            String requestedBy,
            @Nullable String decidedBy,
            @Nullable String decisionReason,
            @Nullable String failureReason,
            Instant createdAt,
            Instant updatedAt,
            @Nullable LeaseView lease) {

        static ActionView of(Action action) {
            return new ActionView(
                    action.id(),
                    action.detectionId(),
                    action.playbook(),
                    action.stage(),
                    action.occurrence(),
                    action.kind().wireName(),
                    new TargetView(action.target().namespace(), action.target().pod()),
                    action.params(),
                    action.approval().wireName(),
                    duration(action.approvalTimeout()),
                    action.approvalDeadline(),
                    action.onApprovalTimeout().wireName(),
                    duration(action.expireAfter()),
                    action.expiresAt(),
                    action.dryRun(),
                    action.status().wireName(),
                    action.planned(),
                    action.refusal() == null ? null : action.refusal().wireName(),
                    action.refusalMessage(),
                    action.requestedBy(),
                    action.decidedBy(),
                    action.decisionReason(),
                    action.failureReason(),
                    action.createdAt(),
                    action.updatedAt(),
                    action.lease() == null
                            ? null
                            : new LeaseView(
                                    action.lease().owner(), action.lease().until()));
        }
    }

    /** One page of actions, newest first; {@code next} is the cursor of the next page (null on the last). */
    record ActionPageView(
            List<ActionView> actions, @Nullable String next) {}

    /** One audit row. */
    record AuditEntryView(
            long seq,
            Instant at,
            String actor,
            @Nullable String from,
            String to,
            String reason,
            Map<String, Object> details,
            String prevHash,
            String hash) {

        static AuditEntryView of(AuditEntry entry) {
            return new AuditEntryView(
                    entry.seq(),
                    entry.at(),
                    entry.actor(),
                    entry.from() == null ? null : entry.from().wireName(),
                    entry.to().wireName(),
                    entry.reason(),
                    entry.details(),
                    entry.prevHash(),
                    entry.hash());
        }
    }

    /**
     * An action with everything known about it.
     *
     * @param plan the plan as the ledger stores it (docs/actions.md); null when the planner refused
     * @param detection the detection that caused it, in Stanch's schema (docs/detections.md)
     * @param trail its audit rows, oldest first
     */
    record ActionDetailView(
            ActionView action,
            @Nullable Map<String, Object> plan,
            @Nullable Map<String, Object> detection,
            List<AuditEntryView> trail) {}

    /** A decision a person made: the action after it, and its audit row. */
    record TransitionView(ActionView action, AuditEntryView entry) {}

    /** The guardrails' decision on an action's first status. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record AdmitView(
            String decision,
            @Nullable String rule,
            String reason,
            @Nullable String approvalTimeout,
            @Nullable String onApprovalTimeout) {

        /** The deadline is the ledger's, set when it records the action pending: the action shows it. */
        static AdmitView of(Admit admit) {
            return switch (admit) {
                case Admit.Approved approved -> new AdmitView("approved", null, admit.reason(), null, null);
                case Admit.PendingApproval pending ->
                    new AdmitView(
                            ActionStatus.PENDING_APPROVAL.wireName(),
                            null,
                            admit.reason(),
                            duration(pending.approvalTimeout()),
                            pending.onTimeout().wireName());
                case Admit.DryRun dryRun ->
                    new AdmitView(ActionStatus.DRY_RUN.wireName(), null, admit.reason(), null, null);
                case Admit.Blocked blocked ->
                    new AdmitView(
                            ActionStatus.BLOCKED.wireName(), blocked.rule().wireName(), admit.reason(), null, null);
            };
        }
    }

    /** Why a playbook did not act. */
    record MissView(String playbook, String reason) {}

    /** What a stage of a playbook asked for, before planning. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record RequestView(
            String playbook,
            String stage,
            long occurrence,
            String kind,
            TargetView target,
            Map<String, Object> params,
            String approval,
            @Nullable String approvalTimeout,
            String onApprovalTimeout,
            @Nullable String expireAfter,
            boolean dryRun) {

        static RequestView of(ActionRequest request) {
            return new RequestView(
                    request.playbook(),
                    request.stage(),
                    request.occurrence(),
                    request.kind().wireName(),
                    new TargetView(
                            request.target().namespace(), request.target().pod()),
                    request.params(),
                    request.approval().wireName(),
                    duration(request.approvalTimeout()),
                    request.onApprovalTimeout().wireName(),
                    duration(request.expireAfter()),
                    request.dryRun());
        }
    }

    /**
     * What the playbooks decided about a detection.
     *
     * @param request the selected stage's request; null when no playbook acted
     * @param matched every playbook whose match held (each counts the detection as an occurrence)
     * @param notActing why each other playbook did not act
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DecisionView(@Nullable RequestView request, List<String> matched, List<MissView> notActing) {

        static DecisionView of(Decision decision) {
            return new DecisionView(
                    decision instanceof Decision.Act act ? RequestView.of(act.request()) : null,
                    decision.matchedPlaybooks(),
                    decision.misses().stream()
                            .map(miss -> new MissView(miss.playbook(), miss.reason()))
                            .toList());
        }
    }

    /** The planner's answer: a plan, or why not. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PlanningView(
            boolean planned,
            @Nullable Map<String, Object> plan,
            @Nullable String refusal,
            @Nullable String message) {

        static PlanningView of(Planning planning) {
            return switch (planning) {
                case Planning.Planned planned -> new PlanningView(true, PlanDocument.of(planned.plan()), null, null);
                case Planning.Refused refused ->
                    new PlanningView(false, null, refused.reason().wireName(), refused.message());
            };
        }
    }

    record PauseView(String by, Instant at, String reason) {

        static @Nullable PauseView of(@Nullable Pause pause) {
            return pause == null ? null : new PauseView(pause.by(), pause.at(), pause.reason());
        }
    }

    record ControlEventView(long seq, Instant at, String actor, String action, String reason) {

        static ControlEventView of(ControlEvent event) {
            return new ControlEventView(
                    event.seq(), event.at(), event.actor(), event.action().wireName(), event.reason());
        }
    }

    record ProblemView(String file, int line, String field, String level, String message) {

        static ProblemView of(Problem problem) {
            return new ProblemView(
                    problem.file(),
                    problem.line(),
                    problem.field(),
                    problem.level().name().toLowerCase(Locale.ROOT),
                    problem.message());
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record StageView(
            String name,
            int after,
            @Nullable String when,
            String action,
            Map<String, Object> params,
            String approval,
            @Nullable String approvalTimeout,
            String onApprovalTimeout,
            @Nullable String expireAfter) {

        static StageView of(Stage stage) {
            return new StageView(
                    stage.name(),
                    stage.after(),
                    stage.when() == null ? null : stage.when().expression(),
                    stage.action().wireName(),
                    stage.params(),
                    stage.approval().wireName(),
                    duration(stage.approvalTimeout()),
                    stage.onApprovalTimeout().wireName(),
                    duration(stage.expireAfter()));
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record MatchView(
            List<String> sources,
            List<String> rules,
            String minSeverity,
            @Nullable String when) {}

    record PlaybookView(
            String name,
            String description,
            String file,
            int line,
            int priority,
            boolean dryRun,
            String window,
            MatchView match,
            List<StageView> stages) {

        static PlaybookView of(Playbook playbook) {
            return new PlaybookView(
                    playbook.name(),
                    playbook.description(),
                    playbook.file(),
                    playbook.line(),
                    playbook.priority(),
                    playbook.dryRun(),
                    Durations.format(playbook.window()),
                    new MatchView(
                            playbook.match().sources().stream()
                                    .map(Source::wireName)
                                    .sorted()
                                    .toList(),
                            playbook.match().rulePatterns(),
                            playbook.match().minSeverity().wireName(),
                            playbook.match().when() == null
                                    ? null
                                    : playbook.match().when().expression()),
                    playbook.stages().stream().map(StageView::of).toList());
        }
    }

    record AuditBreakView(long seq, String kind, String message) {}

    /**
     * What walking the audit chain found.
     *
     * @param intact true when no row was edited, deleted or inserted behind the ledger's back
     */
    record AuditVerificationView(
            boolean intact, long rows, long headSeq, long breakCount, List<AuditBreakView> breaks) {

        static AuditVerificationView of(AuditVerification verification) {
            return new AuditVerificationView(
                    verification.intact(),
                    verification.rows(),
                    verification.headSeq(),
                    verification.breakCount(),
                    verification.breaks().stream()
                            .map(b -> new AuditBreakView(
                                    b.seq(),
                                    b.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                                    b.message()))
                            .toList());
        }
    }

    static @Nullable String duration(@Nullable Duration duration) {
        return duration == null ? null : Durations.format(duration);
    }
}
