package dev.stanch.ledger;

import static dev.stanch.ledger.LedgerFixtures.REQUESTER;
import static dev.stanch.ledger.LedgerFixtures.T0;
import static dev.stanch.ledger.LedgerFixtures.WEB;
import static dev.stanch.ledger.LedgerFixtures.detection;
import static dev.stanch.ledger.LedgerFixtures.newAction;
import static dev.stanch.ledger.LedgerFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.type;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ActionType;
import dev.stanch.action.ClusterSnapshot;
import dev.stanch.action.PlanDocument;
import dev.stanch.action.PlanInput;
import dev.stanch.action.Planning;
import dev.stanch.action.Refusal;
import dev.stanch.action.Safety;
import dev.stanch.action.ServerInfo;
import dev.stanch.action.Step;
import dev.stanch.guardrail.Activity;
import dev.stanch.guardrail.Gate;
import dev.stanch.guardrail.Guardrails;
import dev.stanch.guardrail.Pause;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.UUID;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.jdbc.core.simple.JdbcClient;

/** Actions through the state machine, on a real PostgreSQL: every legal move, and the refused ones. */
@ExtendWith(LedgerPostgresExtension.class)
class LedgerTransitionsIT {

    private static final String ALICE = "alice@example.com";
    private static final String DETECTION = "transitions-detection";

    private static Ledger ledger;
    private static JdbcClient sql;
    private static MutableClock clock;

    @BeforeAll
    static void database(LedgerPostgres postgres) {
        DataSource dataSource = postgres.newDatabase();
        clock = new MutableClock(T0);
        ledger = new Ledger(dataSource, clock);
        sql = JdbcClient.create(dataSource);
        ledger.storeDetection(detection(DETECTION, T0, WEB));
    }

    // ------------------------------------------------------------------ creation

    @Test
    void aNewActionIsPlannedWithItsPlanItsFirstAuditRowAndItsOutboxRow() {
        UUID id = Ledger.newActionId();
        ActionRequest request = request();
        ActionPlan plan = quarantinePlan(id, request);

        Action created =
                ledger.createAction(new NewAction(id, DETECTION, request, new Planning.Planned(plan), REQUESTER));

        assertThat(created.status()).isEqualTo(ActionStatus.PLANNED);
        assertThat(created.planned()).isTrue();
        assertThat(created.kind()).isEqualTo(ActionKind.QUARANTINE_POD);
        assertThat(created.target().key()).isEqualTo("shop/web-7d9f-aaaaa");
        assertThat(created.approvalTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(created.expireAfter()).isEqualTo(Duration.ofHours(4));
        assertThat(created.approvalDeadline()).isNull();
        assertThat(created.params()).containsEntry("detach", false);
        assertThat(created.requestedBy()).isEqualTo(REQUESTER);
        assertThat(created.lease()).isNull();

        ActionDetail detail = ledger.find(id).orElseThrow();
        // The plan as PlanDocument wrote it, manifests and all, through jsonb and back.
        assertThat(detail.plan()).isEqualTo(LedgerJson.read(LedgerJson.write(PlanDocument.of(plan))));
        assertThat(detail.plan()).extractingByKey("steps").asList().hasSize(2);
        assertThat(detail.trail()).singleElement().satisfies(entry -> {
            assertThat(entry.from()).isNull();
            assertThat(entry.to()).isEqualTo(ActionStatus.PLANNED);
            assertThat(entry.actor()).isEqualTo(REQUESTER);
            assertThat(entry.reason())
                    .isEqualTo("planned by playbook outbound-c2, stage stage-quarantine-pod (occurrence 1)");
            assertThat(entry.details())
                    .containsEntry("detectionId", DETECTION)
                    .containsEntry("target", "shop/web-7d9f-aaaaa")
                    .containsEntry("approval", "required")
                    .containsEntry("approvalTimeout", "PT15M")
                    .containsEntry("onApprovalTimeout", "reject")
                    .containsEntry("expireAfter", "PT4H")
                    .containsEntry("dryRun", false)
                    .containsEntry("requestedBy", REQUESTER)
                    .containsKeys("paramsSha256", "planSha256");
        });
        assertThat(outboxSeqs(id)).containsExactly(detail.trail().getFirst().seq());
    }

    /**
     * What an executor runs after a restart: the plan from the ledger alone, equal to the one planned.
     * On a server with AdminNetworkPolicy the plan creates one too: a custom resource whose priority
     * is an integer, through jsonb — which orders keys its own way — and back.
     */
    @Test
    void thePlanReadBackFromTheLedgerIsThePlanThatWasRecorded() {
        UUID id = Ledger.newActionId();
        ActionRequest request = request();
        ActionPlan plan = quarantinePlan(id, request, ServerInfo.of(1, 31, ServerInfo.ADMIN_NETWORK_POLICY));
        ledger.createAction(new NewAction(id, DETECTION, request, new Planning.Planned(plan), REQUESTER));

        ActionPlan read = ledger.plan(id).orElseThrow();

        assertThat(read).isEqualTo(plan);
        assertThat(read.steps())
                .filteredOn(Step.Create.class::isInstance)
                .map(step -> ((Step.Create) step).manifest())
                .satisfiesExactly(
                        policy -> assertThat(policy).isInstanceOf(NetworkPolicy.class),
                        policy -> assertThat(policy)
                                .asInstanceOf(type(GenericKubernetesResource.class))
                                .satisfies(admin -> {
                                    assertThat(admin.getApiVersion()).isEqualTo("policy.networking.k8s.io/v1alpha1");
                                    assertThat(admin.getKind()).isEqualTo("AdminNetworkPolicy");
                                    assertThat(admin.<Object>get("spec", "priority"))
                                            .isInstanceOf(Integer.class);
                                }));
    }

    @Test
    void anEditedPlanIsRefusedAsTamperedBeforeItIsRead() {
        UUID id = Ledger.newActionId();
        ActionRequest request = request();
        ledger.createAction(
                new NewAction(id, DETECTION, request, new Planning.Planned(quarantinePlan(id, request)), REQUESTER));
        sql.sql("update actions set plan = jsonb_set(plan, '{steps,0,step}', '\"reboot\"') where id = :id")
                .param("id", id)
                .update();

        // Its digest no longer matches the creation row's: refused before a step of it is looked at.
        assertThatThrownBy(() -> ledger.plan(id))
                .isInstanceOf(PlanTampered.class)
                .hasMessageStartingWith("the plan of action " + id + " is not the one recorded when it was created")
                .hasMessageEndingWith("it was edited outside Stanch, which acts on no such plan");
    }

    @Test
    void aRefusedActionKeepsTheRefusalAndCanOnlyBeBlocked() {
        UUID id = Ledger.newActionId();
        Action created =
                ledger.createAction(new NewAction(id, DETECTION, request(), LedgerFixtures.refused(), REQUESTER));

        assertThat(created.planned()).isFalse();
        assertThat(created.refusal()).isEqualTo(Refusal.PROTECTED);
        assertThat(created.refusalMessage()).isEqualTo("namespace kube-system is protected");
        assertThat(ledger.find(id).orElseThrow().plan()).isNull();
        assertThat(ledger.plan(id)).isEmpty();
        for (ActionStatus to : List.of(ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, ActionStatus.DRY_RUN)) {
            assertThatThrownBy(() ->
                            ledger.transition(Transition.of(id, ActionStatus.PLANNED, to, "stanch:guardrails", "go")))
                    .asInstanceOf(type(TransitionConflict.class))
                    .satisfies(conflict -> {
                        assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.NO_PLAN);
                        assertThat(conflict.getMessage())
                                .isEqualTo("action " + id + " has no plan (the planner refused: protected): it can"
                                        + " only be blocked, not " + to.wireName());
                    });
        }

        Transitioned blocked = ledger.transition(Transition.of(
                id, ActionStatus.PLANNED, ActionStatus.BLOCKED, "stanch:guardrails", "the planner refused"));
        assertThat(blocked.action().status()).isEqualTo(ActionStatus.BLOCKED);
    }

    @Test
    void aPlanMadeForAnotherActionIsNotRecorded() {
        ActionRequest request = request();
        Planning plan = LedgerFixtures.plan(UUID.randomUUID(), request);

        assertThatThrownBy(() -> new NewAction(UUID.randomUUID(), DETECTION, request, plan, REQUESTER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the plan was made for action");
    }

    // ------------------------------------------------------------------ every legal move

    /** One test per move of the state machine: the action is driven there along legal moves, then moved. */
    @TestFactory
    Stream<DynamicTest> everyLegalMoveIsMadeAndRecorded() {
        List<DynamicTest> tests = new ArrayList<>();
        for (ActionStatus from : ActionStatus.values()) {
            for (ActionStatus to : from.next()) {
                tests.add(DynamicTest.dynamicTest(from.wireName() + " → " + to.wireName(), () -> {
                    UUID id = actionIn(from, to);
                    long auditBefore = count("audit_log");
                    long outboxBefore = count("outbox");

                    Transitioned moved = LedgerFixtures.move(
                            ledger, id, from, to, ALICE, "move to " + to.wireName(), Map.of("ticket", "INC-1"));

                    assertThat(moved.action().status()).isEqualTo(to);
                    assertThat(moved.entry().from()).isEqualTo(from);
                    assertThat(moved.entry().to()).isEqualTo(to);
                    assertThat(moved.entry().actor()).isEqualTo(ALICE);
                    // The ledger adds the times a move sets, so that the chain covers them.
                    Map<String, Object> details = new LinkedHashMap<>(Map.of("ticket", "INC-1"));
                    if (to == ActionStatus.PENDING_APPROVAL) {
                        details.put(
                                "approvalDeadline",
                                moved.action().approvalDeadline().toString());
                    }
                    if (to == ActionStatus.APPLIED) {
                        details.put("expiresAt", moved.action().expiresAt().toString());
                    }
                    assertThat(moved.entry().details()).isEqualTo(details);
                    ActionDetail stored = ledger.find(id).orElseThrow();
                    assertThat(stored.action()).isEqualTo(moved.action());
                    assertThat(stored.trail().getLast()).isEqualTo(moved.entry());
                    assertThat(count("audit_log")).isEqualTo(auditBefore + 1);
                    assertThat(count("outbox")).isEqualTo(outboxBefore + 1);
                    assertThat(outboxSeqs(id)).endsWith(moved.entry().seq());
                }));
            }
        }
        assertThat(tests).hasSize(14);
        return tests.stream();
    }

    @Test
    void transitionsSetDeadlinesDecisionsAndFailures() {
        Instant start = clock.instant();
        UUID id = ledger.createAction(newAction(DETECTION, request())).id();

        Action pending =
                move(id, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL, "stanch:guardrails", "approval required");
        assertThat(pending.approvalDeadline()).isEqualTo(start.plus(Duration.ofMinutes(15)));

        clock.advance(Duration.ofMinutes(3));
        Action approved = move(id, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, ALICE, "confirmed C2 traffic");
        assertThat(approved.decidedBy()).isEqualTo(ALICE);
        assertThat(approved.decisionReason()).isEqualTo("confirmed C2 traffic");
        assertThat(approved.updatedAt()).isEqualTo(start.plus(Duration.ofMinutes(3)));

        move(id, ActionStatus.APPROVED, ActionStatus.APPLYING, "stanch:executor", "applying");
        clock.advance(Duration.ofSeconds(2));
        Action applied = move(id, ActionStatus.APPLYING, ActionStatus.APPLIED, "stanch:executor", "verified in effect");
        assertThat(applied.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(4)));

        move(id, ActionStatus.APPLIED, ActionStatus.ROLLING_BACK, "bob@example.com", "false positive");
        Action failed =
                move(id, ActionStatus.ROLLING_BACK, ActionStatus.FAILED, "stanch:executor", "forbidden: pods patch");
        assertThat(failed.failureReason()).isEqualTo("forbidden: pods patch");
        assertThat(failed.decidedBy()).as("the decision stays").isEqualTo(ALICE);

        assertThat(ledger.find(id).orElseThrow().trail())
                .extracting(e -> (e.from() == null ? "" : e.from().wireName() + " → ") + e.to().wireName())
                .containsExactly(
                        "planned",
                        "planned → pending-approval",
                        "pending-approval → approved",
                        "approved → applying",
                        "applying → applied",
                        "applied → rolling-back",
                        "rolling-back → failed");
    }

    @Test
    void aGuardrailDecisionIsRecordedWithItsReasonAndTheDeadlineTheLedgerSets() {
        Gate gate = new Gate(Guardrails.defaults());
        Activity quiet = new Activity() {
            @Override
            public long startedSince(Instant since) {
                return 0;
            }

            @Override
            public long startedSince(Instant since, String namespace) {
                return 0;
            }

            @Override
            public long active() {
                return 0;
            }

            @Override
            public Optional<Pause> pause() {
                return Optional.empty();
            }
        };
        NewAction pending = newAction(DETECTION, request());
        UUID pendingId = ledger.createAction(pending).id();
        NewAction refused =
                new NewAction(Ledger.newActionId(), DETECTION, request(), LedgerFixtures.refused(), REQUESTER);
        UUID refusedId = ledger.createAction(refused).id();

        Transitioned waiting = ledger.transition(Transition.admitted(
                pendingId,
                "stanch:guardrails",
                gate.admit(pending.request(), pending.planning(), quiet, clock.instant())));
        Transitioned blocked = ledger.transition(Transition.admitted(
                refusedId,
                "stanch:guardrails",
                gate.admit(refused.request(), refused.planning(), quiet, clock.instant())));

        assertThat(waiting.action().status()).isEqualTo(ActionStatus.PENDING_APPROVAL);
        assertThat(waiting.action().approvalDeadline())
                .isEqualTo(clock.instant().plus(Duration.ofMinutes(15)));
        assertThat(waiting.entry().reason())
                .isEqualTo("waiting for approval, as stage stage-quarantine-pod of playbook outbound-c2 requires,"
                        + " for 15m (approvalTimeout); then rejected (onApprovalTimeout: reject)");
        // One deadline, set once: the one the runner acts on is the one the audit row keeps.
        assertThat(waiting.entry().details())
                .isEqualTo(Map.of(
                        "approvalDeadline",
                        waiting.action().approvalDeadline().toString(),
                        "onApprovalTimeout",
                        "reject"));
        assertThat(blocked.action().status()).isEqualTo(ActionStatus.BLOCKED);
        assertThat(blocked.entry().reason())
                .isEqualTo("the planner refused (protected): namespace kube-system is protected");
        assertThat(blocked.entry().details()).isEqualTo(Map.of("guardrail", "refused"));
    }

    // ------------------------------------------------------------------ refused moves

    /** Illegal moves from the status the action is in: refused with the state machine's reason, nothing written. */
    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', textBlock = """
            applied          | approved         | approving an applied action is not allowed (applied → approved): from applied an action can only go to rolling-back
            rejected         | rolling-back     | rolling back a rejected action is not allowed (rejected → rolling-back): rejected is final
            rolled-back      | rolling-back     | rolling back a rolled-back action is not allowed (rolled-back → rolling-back): rolled-back is final
            expired          | approved         | approving an expired action is not allowed (expired → approved): expired is final
            blocked          | approved         | approving a blocked action is not allowed (blocked → approved): blocked is final
            dry-run          | applying         | applying a dry-run action is not allowed (dry-run → applying): dry-run is final
            pending-approval | applying         | applying an action waiting for approval is not allowed (pending-approval → applying): from pending-approval an action can only go to approved, rejected or expired
            planned          | applying         | applying a planned action is not allowed (planned → applying): from planned an action can only go to blocked, dry-run, pending-approval or approved
            approved         | approved         | approving an approved action is not allowed (approved → approved): it is approved already
            approved         | rejected         | rejecting an approved action is not allowed (approved → rejected): from approved an action can only go to applying
            applying         | rolling-back     | rolling back an action being applied is not allowed (applying → rolling-back): from applying an action can only go to applied or failed
            applied          | planned          | planning an applied action again is not allowed (applied → planned): from applied an action can only go to rolling-back
            failed           | applying         | applying a failed action is not allowed (failed → applying): from failed an action can only go to rolling-back
            rolling-back     | applied          | marking an action being rolled back as applied is not allowed (rolling-back → applied): from rolling-back an action can only go to failed or rolled-back
            """)
    void illegalMovesAreRefusedWithTheirReason(String fromName, String toName, String message) {
        ActionStatus from = ActionStatus.fromWireName(fromName).orElseThrow();
        ActionStatus to = ActionStatus.fromWireName(toName).orElseThrow();
        UUID id = actionIn(from);
        long auditBefore = count("audit_log");
        long outboxBefore = count("outbox");
        Action before = ledger.find(id).orElseThrow().action();

        assertThatThrownBy(() -> ledger.transition(Transition.of(id, from, to, "bob@example.com", "try")))
                .asInstanceOf(type(TransitionConflict.class))
                .satisfies(conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.ILLEGAL);
                    assertThat(conflict.from()).isEqualTo(from);
                    assertThat(conflict.to()).isEqualTo(to);
                    assertThat(conflict.actionId()).isEqualTo(id);
                    assertThat(conflict.getMessage()).isEqualTo(message);
                });

        assertThat(ledger.find(id).orElseThrow().action()).isEqualTo(before);
        assertThat(count("audit_log")).isEqualTo(auditBefore);
        assertThat(count("outbox")).isEqualTo(outboxBefore);
    }

    @Test
    void aMoveFromAStatusTheActionLeftIsRefused() {
        UUID id = actionIn(ActionStatus.PENDING_APPROVAL);
        move(id, ActionStatus.PENDING_APPROVAL, ActionStatus.REJECTED, ALICE, "not C2: the CDN");

        // Bob read it while pending and approves: the rejection came first — he decided on a state that
        // is gone, which is what he is told first — and rejected is final.
        assertThatThrownBy(() -> ledger.transition(Transition.of(
                        id, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, "bob@example.com", "ok")))
                .asInstanceOf(type(TransitionConflict.class))
                .satisfies(conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.STATUS_CHANGED);
                    assertThat(conflict.from()).isEqualTo(ActionStatus.REJECTED);
                    assertThat(conflict.getMessage())
                            .isEqualTo("action " + id + " is rejected, not pending-approval as read: it moved on in"
                                    + " the meantime; approving a rejected action is not allowed (rejected →"
                                    + " approved): rejected is final");
                });

        // A legal move from the status it is in, but the caller read another: it moved on meanwhile.
        UUID other = actionIn(ActionStatus.APPLIED);
        assertThatThrownBy(() -> ledger.transition(Transition.of(
                        other, ActionStatus.FAILED, ActionStatus.ROLLING_BACK, "bob@example.com", "undo")))
                .asInstanceOf(type(TransitionConflict.class))
                .satisfies(conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.STATUS_CHANGED);
                    assertThat(conflict.getMessage())
                            .isEqualTo(
                                    "action " + other + " is applied, not failed as read: it moved on in the meantime");
                });
    }

    /** Only a stage that runs by itself goes from planned to approved, whatever the caller decided. */
    @Test
    void whatNeedsApprovalOrIsADryRunIsNeverApprovedStraightFromPlanned() {
        UUID required = ledger.createAction(newAction(DETECTION, request())).id();
        UUID dryRun = ledger.createAction(newAction(
                        DETECTION,
                        request(ActionKind.QUARANTINE_POD, WEB, Approval.AUTO, null, Duration.ofHours(4), true)))
                .id();
        long auditBefore = count("audit_log");

        assertThatThrownBy(() -> move(required, ActionStatus.PLANNED, ActionStatus.APPROVED, "stanch:guardrails", "ok"))
                .asInstanceOf(type(TransitionConflict.class))
                .satisfies(conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.APPROVAL_REQUIRED);
                    assertThat(conflict.getMessage())
                            .isEqualTo("action " + required + " needs a person's approval (stage stage-quarantine-pod"
                                    + " of playbook outbound-c2 says approval: required): it goes to"
                                    + " pending-approval, not straight to approved");
                });
        assertThatThrownBy(() -> move(dryRun, ActionStatus.PLANNED, ActionStatus.APPROVED, "stanch:guardrails", "ok"))
                .asInstanceOf(type(TransitionConflict.class))
                .satisfies(conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.APPROVAL_REQUIRED);
                    assertThat(conflict.getMessage())
                            .isEqualTo("action " + dryRun + " is a dry run of playbook outbound-c2: it is recorded,"
                                    + " never approved");
                });
        assertThat(count("audit_log")).isEqualTo(auditBefore);

        assertThat(move(dryRun, ActionStatus.PLANNED, ActionStatus.DRY_RUN, "stanch:guardrails", "dry run")
                        .status())
                .isEqualTo(ActionStatus.DRY_RUN);
        assertThat(move(required, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL, "stanch:guardrails", "wait")
                        .status())
                .isEqualTo(ActionStatus.PENDING_APPROVAL);
    }

    /**
     * Stanch's own components approve a pending action only as the approval timeout's "approve": the
     * stage says so and its deadline has passed. A person approves whenever they decide.
     */
    @Test
    void stanchApprovesByItselfOnlyWhenTheStageSaysSoAndTheDeadlinePassed() {
        UUID rejectsAtTimeout = pending(Duration.ofMinutes(15), OnApprovalTimeout.REJECT);
        UUID approvesAtTimeout = pending(Duration.ofMinutes(15), OnApprovalTimeout.APPROVE);
        UUID waitsForAPerson = pending(null, OnApprovalTimeout.APPROVE);
        UUID approvedByAPerson = pending(Duration.ofMinutes(15), OnApprovalTimeout.REJECT);
        Instant deadline = ledger.action(approvesAtTimeout).approvalDeadline();
        String timeout = "stanch:approval-timeout";

        clock.advance(Duration.ofMinutes(15).minusNanos(1000));
        assertThat(approvalRefused(approvesAtTimeout, timeout))
                .isEqualTo(timeout + " is not a person and cannot approve action " + approvesAtTimeout
                        + ": it is approved by silence only once its approval deadline, " + deadline
                        + ", has passed");
        assertThat(move(approvedByAPerson, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, ALICE, "confirmed")
                        .decidedBy())
                .isEqualTo(ALICE);

        clock.advance(Duration.ofNanos(1000));
        assertThat(move(approvesAtTimeout, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, timeout, "silence")
                        .decidedBy())
                .isEqualTo(timeout);
        assertThat(approvalRefused(rejectsAtTimeout, timeout))
                .isEqualTo(timeout + " is not a person and cannot approve action " + rejectsAtTimeout
                        + ": its stage says onApprovalTimeout: reject, so only a person approves it");
        assertThat(approvalRefused(waitsForAPerson, "stanch:guardrails"))
                .isEqualTo("stanch:guardrails is not a person and cannot approve action " + waitsForAPerson
                        + ": it has no approval deadline, so only a person approves it");
    }

    private static UUID pending(@Nullable Duration approvalTimeout, OnApprovalTimeout onTimeout) {
        ActionRequest request = new ActionRequest(
                LedgerFixtures.PLAYBOOK,
                "isolate",
                1,
                ActionKind.QUARANTINE_POD,
                WEB,
                Map.of(),
                Approval.REQUIRED,
                approvalTimeout,
                onTimeout,
                null,
                false);
        UUID id = ledger.createAction(newAction(DETECTION, request)).id();
        move(id, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL, "stanch:guardrails", "approval required");
        return id;
    }

    /** Why the ledger refused {@code actor}'s approval of a pending action (APPROVAL_REQUIRED). */
    private static String approvalRefused(UUID id, String actor) {
        try {
            ledger.transition(Transition.of(id, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, actor, "ok"));
        } catch (TransitionConflict conflict) {
            assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.APPROVAL_REQUIRED);
            assertThat(ledger.action(id).status()).isEqualTo(ActionStatus.PENDING_APPROVAL);
            return conflict.getMessage();
        }
        throw new AssertionError("approving " + id + " as " + actor + " was not refused");
    }

    @Test
    void nobodyApprovesWhatTheyRequested() {
        UUID id = Ledger.newActionId();
        ActionRequest request = request();
        ledger.createAction(new NewAction(id, DETECTION, request, LedgerFixtures.plan(id, request), ALICE));
        move(id, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL, "stanch:guardrails", "approval required");

        assertThatThrownBy(() -> ledger.transition(
                        Transition.of(id, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, ALICE, "mine")))
                .asInstanceOf(type(TransitionConflict.class))
                .satisfies(conflict -> {
                    assertThat(conflict.reason()).isEqualTo(TransitionConflict.Reason.SELF_APPROVAL);
                    assertThat(conflict.getMessage())
                            .isEqualTo(ALICE + " requested action " + id + " and cannot approve it: someone else must");
                });
        assertThat(move(id, ActionStatus.PENDING_APPROVAL, ActionStatus.REJECTED, ALICE, "withdrawn")
                        .status())
                .as("rejecting one's own request is fine")
                .isEqualTo(ActionStatus.REJECTED);
    }

    @Test
    void anUnknownActionIsNotFound() {
        UUID id = UUID.randomUUID();
        assertThatThrownBy(() ->
                        ledger.transition(Transition.of(id, ActionStatus.PLANNED, ActionStatus.APPROVED, ALICE, "ok")))
                .isInstanceOf(ActionNotFound.class)
                .hasMessage("no action " + id);
        assertThat(ledger.find(id)).isEmpty();
        assertThatThrownBy(() -> ledger.plan(id)).isInstanceOf(ActionNotFound.class);
    }

    @Test
    void everyMoveNeedsAnActorAndAReason() {
        UUID id = UUID.randomUUID();
        assertThatThrownBy(() -> Transition.of(id, ActionStatus.PLANNED, ActionStatus.APPROVED, ALICE, " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("reason must not be blank");
        assertThatThrownBy(() -> Transition.of(id, ActionStatus.PLANNED, ActionStatus.APPROVED, "", "ok"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("actor must not be blank");
    }

    // ------------------------------------------------------------------ helpers

    /** A new action driven along the shortest legal path from planned to {@code status}. */
    static UUID actionIn(ActionStatus status) {
        return actionIn(status, status);
    }

    /**
     * A new action driven along the shortest legal path from planned to {@code status}, whence it is
     * to move to {@code next}: of a stage that needs approval when the path or that move waits for
     * one, and of one that runs by itself otherwise — the ledger lets nothing else go from planned to
     * approved.
     */
    static UUID actionIn(ActionStatus status, ActionStatus next) {
        List<ActionStatus> path = pathTo(status);
        boolean waits = path.contains(ActionStatus.PENDING_APPROVAL) || next == ActionStatus.PENDING_APPROVAL;
        UUID id = ledger.createAction(newAction(DETECTION, waits ? request() : LedgerFixtures.autoRequest()))
                .id();
        for (int i = 1; i < path.size(); i++) {
            move(id, path.get(i - 1), path.get(i), "carol@example.com", "on the way to " + status.wireName());
        }
        return id;
    }

    private static List<ActionStatus> pathTo(ActionStatus target) {
        Map<ActionStatus, ActionStatus> previous = new EnumMap<>(ActionStatus.class);
        Queue<ActionStatus> queue = new ArrayDeque<>(List.of(ActionStatus.PLANNED));
        previous.put(ActionStatus.PLANNED, ActionStatus.PLANNED);
        while (!queue.isEmpty()) {
            ActionStatus current = queue.remove();
            for (ActionStatus next : current.next()) {
                if (previous.putIfAbsent(next, current) == null) {
                    queue.add(next);
                }
            }
        }
        List<ActionStatus> path = new ArrayList<>();
        for (ActionStatus at = target; at != ActionStatus.PLANNED; at = previous.get(at)) {
            path.addFirst(at);
        }
        path.addFirst(ActionStatus.PLANNED);
        return path;
    }

    private static Action move(UUID id, ActionStatus from, ActionStatus to, String actor, String reason) {
        return LedgerFixtures.move(ledger, id, from, to, actor, reason).action();
    }

    private static long count(String table) {
        return sql.sql("select count(*) from " + table).query(Long.class).single();
    }

    private static List<Long> outboxSeqs(UUID id) {
        return sql.sql("select audit_seq from outbox where action_id = :id order by id")
                .param("id", id)
                .query(Long.class)
                .list();
    }

    /** A real plan: quarantine-pod's planner on a one-pod cluster. */
    static ActionPlan quarantinePlan(UUID id, ActionRequest request) {
        return quarantinePlan(id, request, ServerInfo.of(1, 30));
    }

    static ActionPlan quarantinePlan(UUID id, ActionRequest request, ServerInfo server) {
        ClusterSnapshot cluster = ClusterSnapshot.empty(server);
        cluster = new ClusterSnapshot(
                cluster.server(),
                List.of(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName("shop")
                        .addToLabels("kubernetes.io/metadata.name", "shop")
                        .endMetadata()
                        .build()),
                List.of(new PodBuilder()
                        .withNewMetadata()
                        .withNamespace("shop")
                        .withName(WEB.pod())
                        .withUid("uid-web")
                        .withResourceVersion("7")
                        .withLabels(new LinkedHashMap<>(Map.of("app", "web")))
                        .endMetadata()
                        .withNewStatus()
                        .withPhase("Running")
                        .withPodIP("10.1.2.3")
                        .endStatus()
                        .build()),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of());
        Planning planning = ActionType.of(ActionKind.QUARANTINE_POD)
                .plan(new PlanInput(id.toString(), request, Safety.defaults()), cluster);
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        return ((Planning.Planned) planning).plan();
    }
}
