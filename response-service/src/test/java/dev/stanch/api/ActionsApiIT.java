package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.action.ActionType;
import dev.stanch.action.PlanInput;
import dev.stanch.action.Planning;
import dev.stanch.action.Safety;
import dev.stanch.detection.Detection;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.guardrail.Admit;
import dev.stanch.kubernetes.ClusterReader;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.NewAction;
import dev.stanch.ledger.Transition;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Decision;
import dev.stanch.playbook.History;
import dev.stanch.playbook.OnApprovalTimeout;
import dev.stanch.playbook.PlaybookCatalog;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

/** Actions over HTTP: lists and filters, one action in full, and people's decisions with their 409s. */
class ActionsApiIT extends ApiHarness {

    private static final AtomicInteger EVENTS = new AtomicInteger();

    @Autowired
    Ledger ledger;

    @Autowired
    ClusterReader reader;

    @Autowired
    PlaybookCatalog catalog;

    /** A terminal shell in a new pod of the namespace: the terminal-shell playbook asks to isolate it. */
    private String pendingAction(String namespace, String pod) {
        int n = EVENTS.incrementAndGet();
        pod(namespace, pod, "10.20." + (n / 250) + "." + (n % 250 + 1));
        Response posted = post(
                "detector",
                "/api/v1/detections",
                terminalShell(
                        UUID.randomUUID().toString(),
                        namespace,
                        pod,
                        Instant.now().toString()));
        assertThat(posted.status()).as(posted.toString()).isEqualTo(201);
        assertThat(posted.json().path("action").path("status").asString()).isEqualTo("pending-approval");
        return posted.json().path("action").path("id").asString();
    }

    @Test
    void listsFilterAndPageNewestFirst() {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(pendingAction("paging", "web-" + i));
        }
        assertThat(post("alice", "/api/v1/actions/" + ids.get(0) + "/reject", reason("a person debugging"))
                        .status())
                .isEqualTo(200);

        Response first = get("viewer", "/api/v1/actions?namespace=paging&limit=2");
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        assertThat(ids(first)).containsExactly(ids.get(2), ids.get(1));
        String next = first.json().path("next").asString();
        assertThat(next).isNotBlank();
        Response second = get("viewer", "/api/v1/actions?namespace=paging&limit=2&after=" + next);
        assertThat(ids(second)).containsExactly(ids.get(0));
        assertThat(second.json().path("next").isNull()).isTrue();

        assertThat(ids(get("viewer", "/api/v1/actions?namespace=paging&status=rejected")))
                .containsExactly(ids.get(0));
        assertThat(ids(get("viewer", "/api/v1/actions?namespace=paging&status=rejected&status=pending-approval")))
                .containsExactly(ids.get(2), ids.get(1), ids.get(0));
        assertThat(ids(get("viewer", "/api/v1/actions?namespace=paging&kind=block-connection")))
                .isEmpty();
        assertThat(ids(get("viewer", "/api/v1/actions?namespace=paging&kind=quarantine-pod&playbook=terminal-shell")))
                .hasSize(3);
        Instant created = Instant.parse(
                first.json().path("actions").get(0).path("createdAt").asString());
        assertThat(ids(get("viewer", "/api/v1/actions?namespace=paging&from=" + created)))
                .containsExactly(ids.get(2));
        assertThat(ids(get("viewer", "/api/v1/actions?namespace=paging&before=" + created)))
                .containsExactly(ids.get(1), ids.get(0));
    }

    @Test
    void badListParametersAreProblemsThatNameTheParameter() {
        Response status = get("viewer", "/api/v1/actions?status=pending");
        assertThat(status.status()).isEqualTo(400);
        assertThat(status.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(status.json().path("field").asString()).isEqualTo("status");
        assertThat(status.json().path("detail").asString())
                .isEqualTo("status: unknown value \"pending\"; allowed: planned, blocked, dry-run, pending-approval,"
                        + " approved, applying, applied, failed, rejected, expired, rolling-back, rolled-back");

        Response kind = get("viewer", "/api/v1/actions?kind=kill-pod");
        assertThat(kind.json().path("allowed").toString())
                .isEqualTo("[\"block-connection\",\"revoke-token\",\"quarantine-pod\"]");

        assertThat(get("viewer", "/api/v1/actions?limit=0")
                        .json()
                        .path("detail")
                        .asString())
                .isEqualTo("limit: must be 1–500, not 0");
        assertThat(get("viewer", "/api/v1/actions?limit=lots")
                        .json()
                        .path("field")
                        .asString())
                .isEqualTo("limit");
        assertThat(get("viewer", "/api/v1/actions?from=yesterday")
                        .json()
                        .path("detail")
                        .asString())
                .startsWith("from: \"yesterday\" is not an ISO-8601 instant");
        Response cursor = get("viewer", "/api/v1/actions?after=not-a-cursor");
        assertThat(cursor.status()).isEqualTo(400);
        assertThat(cursor.json().path("field").asString()).isEqualTo("after");
    }

    @Test
    void oneActionComesWithItsPlanItsDetectionAndItsTrail() {
        String id = pendingAction("reading", "web-1");

        Response response = get("viewer", "/api/v1/actions/" + id);

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JsonNode body = response.json();
        assertThat(body.path("action").path("id").asString()).isEqualTo(id);
        assertThat(body.path("action").path("target").path("pod").asString()).isEqualTo("web-1");
        assertThat(body.path("action").path("approvalTimeout").asString()).isEqualTo("30m");
        assertThat(body.path("plan").path("actionId").asString()).isEqualTo(id);
        assertThat(body.path("detection").path("rule").asString()).isEqualTo("Terminal shell in container");
        assertThat(body.path("trail").size()).isEqualTo(2);
        assertThat(body.path("trail").get(0).path("to").asString()).isEqualTo("planned");
        assertThat(body.path("trail").get(1).path("actor").asString()).isEqualTo("stanch:guardrails");
    }

    @Test
    void unknownAndMalformedIdsAre404And400() {
        Response unknown = get("viewer", "/api/v1/actions/" + UUID.randomUUID());
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().path("code").asString()).isEqualTo("action-not-found");

        Response approveUnknown = post("alice", "/api/v1/actions/" + UUID.randomUUID() + "/approve", reason("ok"));
        assertThat(approveUnknown.status()).isEqualTo(404);

        Response malformed = get("viewer", "/api/v1/actions/not-a-uuid");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().path("detail").asString()).isEqualTo("parameter id: \"not-a-uuid\" is not a UUID");
    }

    @Test
    void anotherPersonApprovesAndTheApprovalIsRecordedWithTheirNameAndReason() {
        String id = pendingAction("approvals", "web-1");

        Response approved = post("alice", "/api/v1/actions/" + id + "/approve", reason("the shell is not ours"));

        assertThat(approved.status()).as(approved.toString()).isEqualTo(200);
        assertThat(approved.json().path("action").path("status").asString()).isEqualTo("approved");
        assertThat(approved.json().path("action").path("decidedBy").asString()).isEqualTo("alice");
        assertThat(approved.json().path("entry").path("actor").asString()).isEqualTo("alice");
        assertThat(approved.json().path("entry").path("reason").asString()).isEqualTo("the shell is not ours");

        Response again = post("bob", "/api/v1/actions/" + id + "/approve", reason("me too"));
        assertThat(again.status()).isEqualTo(409);
        // Bob saw it pending: it moved on since, which the ledger says first.
        assertThat(again.json().path("reason").asString()).isEqualTo("status-changed");
        assertThat(again.json().path("actionStatus").asString()).isEqualTo("approved");
        assertThat(again.json().path("detail").asString())
                .endsWith("it moved on in the meantime; "
                        + "approving an approved action is not allowed (approved → approved): it is approved already");
    }

    @Test
    void nobodyApprovesWhatTheyRequested() {
        namespace("self");
        pod("self", "web-1", "10.30.0.1");
        UUID id = requestedBy("alice", "self", "web-1");

        Response own = post("alice", "/api/v1/actions/" + id + "/approve", reason("looks fine to me"));

        assertThat(own.status()).as(own.toString()).isEqualTo(409);
        assertThat(own.json().path("code").asString()).isEqualTo("transition-conflict");
        assertThat(own.json().path("reason").asString()).isEqualTo("self-approval");
        assertThat(own.json().path("detail").asString())
                .isEqualTo("alice requested action " + id + " and cannot approve it: someone else must");
        assertThat(ledger.action(id).status()).isEqualTo(ActionStatus.PENDING_APPROVAL);

        assertThat(post("bob", "/api/v1/actions/" + id + "/approve", reason("second pair of eyes"))
                        .status())
                .isEqualTo(200);
    }

    @Test
    void aRejectionIsFinalAndARejectedActionCannotBeRolledBack() {
        String id = pendingAction("rejections", "web-1");

        Response rejected = post("bob", "/api/v1/actions/" + id + "/reject", reason("kubectl exec by on-call"));
        assertThat(rejected.status()).as(rejected.toString()).isEqualTo(200);
        assertThat(rejected.json().path("action").path("status").asString()).isEqualTo("rejected");

        Response rollback = post("bob", "/api/v1/actions/" + id + "/rollback", reason("undo"));
        assertThat(rollback.status()).isEqualTo(409);
        assertThat(rollback.json().path("reason").asString()).isEqualTo("illegal");
        assertThat(rollback.json().path("detail").asString())
                .isEqualTo(
                        "rolling back a rejected action is not allowed (rejected → rolling-back): rejected is final");
    }

    @Test
    void anAppliedActionIsRolledBackOnRequestAndCannotThenBeApproved() {
        String id = pendingAction("rollbacks", "web-1");
        assertThat(post("alice", "/api/v1/actions/" + id + "/approve", reason("isolate it"))
                        .status())
                .isEqualTo(200);
        // What the runner would do: apply it.
        UUID action = UUID.fromString(id);
        applyAsTheRunnerWould(ledger, action);

        Response approve = post("bob", "/api/v1/actions/" + id + "/approve", reason("again"));
        assertThat(approve.status()).isEqualTo(409);
        assertThat(approve.json().path("reason").asString()).isEqualTo("status-changed");
        assertThat(approve.json().path("detail").asString())
                .endsWith("approving an applied action is not allowed (applied → approved): from applied an action"
                        + " can only go to rolling-back");

        Response rolledBack = post("bob", "/api/v1/actions/" + id + "/rollback", reason("false positive"));
        assertThat(rolledBack.status()).as(rolledBack.toString()).isEqualTo(200);
        assertThat(rolledBack.json().path("action").path("status").asString()).isEqualTo("rolling-back");
        assertThat(rolledBack.json().path("entry").path("actor").asString()).isEqualTo("bob");
    }

    @Test
    void aDecisionNeedsAReason() {
        String id = pendingAction("reasons", "web-1");
        String path = "/api/v1/actions/" + id + "/approve";

        assertThat(post("alice", path, "{}").json().path("detail").asString())
                .isEqualTo("reason: required: say why; the audit log keeps it");
        assertThat(post("alice", path, "{\"reason\": \"  \"}")
                        .json()
                        .path("detail")
                        .asString())
                .isEqualTo("reason: must not be blank: say why; the audit log keeps it");
        assertThat(post("alice", path, "{\"reason\": 42}").json().path("detail").asString())
                .isEqualTo("reason: expected a string, got a number");
        assertThat(post("alice", path, "{\"reason\": \"" + "x".repeat(Requests.MAX_REASON_LENGTH + 1) + "\"}")
                        .json()
                        .path("detail")
                        .asString())
                .isEqualTo("reason: at most 2000 characters, got 2001");
        assertThat(post("alice", path, "{\"reasn\": \"typo\"}")
                        .json()
                        .path("field")
                        .asString())
                .isEqualTo("reasn");
        Response malformed = post("alice", path, "{\"reason\": ");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().path("detail").asString()).startsWith("the body is not valid JSON: ");
        Response array = post("alice", path, "[\"why\"]");
        assertThat(array.status()).isEqualTo(400);
        assertThat(array.json().path("detail").asString()).isEqualTo("the body must be a JSON object");
        Response none = send("alice", "POST", path, null, "application/json");
        assertThat(none.status()).isEqualTo(400);
        assertThat(none.json().path("detail").asString()).isEqualTo("the request has no body");
        assertThat(ledger.action(UUID.fromString(id)).status()).isEqualTo(ActionStatus.PENDING_APPROVAL);
    }

    /** An action a person requested (the playbooks request every real one), waiting for approval. */
    private UUID requestedBy(String person, String namespace, String pod) {
        Normalization normalization = new DetectionNormalizer()
                .normalize(terminalShell(
                        UUID.randomUUID().toString(),
                        namespace,
                        pod,
                        Instant.now().toString()));
        Detection detection = ((Normalization.Normalized) normalization).detection();
        ledger.storeDetection(detection);
        ActionRequest request = ((Decision.Act) catalog.engine().decide(detection, History.empty())).request();
        UUID id = Ledger.newActionId();
        Planning planning = ActionType.of(ActionKind.QUARANTINE_POD)
                .plan(new PlanInput(id.toString(), request, Safety.defaults()), reader.read(namespace));
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        ledger.createAction(new NewAction(id, detection.id(), request, planning, person));
        ledger.transition(Transition.admitted(
                id,
                "stanch:guardrails",
                new Admit.PendingApproval(Duration.ofMinutes(30), OnApprovalTimeout.REJECT, "ask")));
        return id;
    }

    private static List<String> ids(Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        response.json()
                .path("actions")
                .forEach(action -> ids.add(action.path("id").asString()));
        return ids;
    }
}
