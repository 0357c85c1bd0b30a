package dev.stanch.api;

import dev.stanch.api.ApiViews.ActionDetailView;
import dev.stanch.api.ApiViews.ActionPageView;
import dev.stanch.api.ApiViews.ActionView;
import dev.stanch.api.ApiViews.AuditEntryView;
import dev.stanch.api.ApiViews.TransitionView;
import dev.stanch.detection.DetectionJson;
import dev.stanch.ledger.ActionDetail;
import dev.stanch.ledger.ActionPage;
import dev.stanch.ledger.ActionQuery;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.Transitioned;
import dev.stanch.playbook.ActionKind;
import dev.stanch.workflow.Responder;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.security.Principal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Actions: list and filter, read one with its plan, detection and audit trail, and people's
 * decisions — approve, reject, roll back — each with a reason, recorded with the caller's name.
 * Decisions only record: the runner does the work they call for.
 */
@RestController
@RequestMapping(path = "/api/v1/actions", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "actions", description = "What Stanch planned and did, and people's decisions on it")
public class ActionsController {

    static final int DEFAULT_LIMIT = 50;

    private final Ledger ledger;
    private final Responder responder;

    public ActionsController(Ledger ledger, Responder responder) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.responder = Objects.requireNonNull(responder, "responder");
    }

    @GetMapping
    @Operation(
            operationId = "listActions",
            summary = "List actions, newest first",
            description = "Filters combine with \"and\"; status may be repeated (any of them). Keyset paging:"
                    + " pass the answer's next as after for the next page; null next is the last page.")
    public ActionPageView list(
            @Parameter(description = "any of these statuses (repeatable), e.g. pending-approval")
                    @RequestParam(name = "status", required = false)
                    @Nullable
                    List<String> status,
            @Parameter(description = "block-connection, revoke-token or quarantine-pod")
                    @RequestParam(required = false)
                    @Nullable
                    String kind,
            @Parameter(description = "the target's namespace") @RequestParam(required = false) @Nullable
                    String namespace,
            @Parameter(description = "the playbook that asked for it") @RequestParam(required = false) @Nullable
                    String playbook,
            @Parameter(description = "created at or after this instant (ISO-8601, e.g. 2026-11-22T10:00:00Z)")
                    @RequestParam(required = false)
                    @Nullable
                    String from,
            @Parameter(description = "created before this instant (ISO-8601)") @RequestParam(required = false) @Nullable
                    String before,
            @Parameter(description = "page size, 1–" + ActionQuery.MAX_LIMIT + " (default " + DEFAULT_LIMIT + ")")
                    @RequestParam(required = false)
                    @Nullable
                    String limit,
            @Parameter(description = "the next cursor of the previous page") @RequestParam(required = false) @Nullable
                    String after) {
        ActionQuery query = new ActionQuery(
                statuses(status),
                kind(kind),
                blankToNull(namespace),
                blankToNull(playbook),
                instant("from", from),
                instant("before", before),
                limit(limit),
                null);
        if (after != null) {
            query = query.after(after);
        }
        ActionPage page;
        try {
            page = ledger.list(query);
        } catch (IllegalArgumentException e) {
            if (after != null && e.getMessage() != null && e.getMessage().startsWith("not a cursor")) {
                throw ApiProblem.invalid(
                        "after", "not a cursor of this list: pass the next of a previous answer, unchanged");
            }
            throw e;
        }
        return new ActionPageView(page.actions().stream().map(ActionView::of).toList(), page.next());
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getAction", summary = "One action with its plan, its detection and its audit trail")
    public ActionDetailView get(@PathVariable UUID id) {
        ActionDetail detail = ledger.find(id).orElseThrow(() -> notFound(id));
        return new ActionDetailView(
                ActionView.of(detail.action()),
                detail.plan(),
                ledger.detection(detail.action().detectionId())
                        .map(DetectionJson::toJsonMap)
                        .orElse(null),
                detail.trail().stream().map(AuditEntryView::of).toList());
    }

    @PostMapping(path = "/{id}/approve", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            operationId = "approveAction",
            summary = "Approve an action waiting for approval",
            description = "The runner applies it next. Nobody approves an action they requested (409 self-approval).")
    public TransitionView approve(
            @PathVariable UUID id,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content = @Content(schema = @Schema(implementation = ReasonRequest.class)))
                    @RequestBody
                    Map<String, Object> body,
            Principal principal) {
        return view(responder.approve(id, Requests.actor(principal), Requests.reason(body)));
    }

    @PostMapping(path = "/{id}/reject", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(operationId = "rejectAction", summary = "Reject an action waiting for approval: final, nothing changes")
    public TransitionView reject(
            @PathVariable UUID id,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content = @Content(schema = @Schema(implementation = ReasonRequest.class)))
                    @RequestBody
                    Map<String, Object> body,
            Principal principal) {
        return view(responder.reject(id, Requests.actor(principal), Requests.reason(body)));
    }

    @PostMapping(path = "/{id}/rollback", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            operationId = "rollbackAction",
            summary = "Roll back an applied (or failed) action",
            description = "The action becomes rolling-back; the runner undoes its changes next.")
    public TransitionView rollback(
            @PathVariable UUID id,
            @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content = @Content(schema = @Schema(implementation = ReasonRequest.class)))
                    @RequestBody
                    Map<String, Object> body,
            Principal principal) {
        return view(responder.rollback(id, Requests.actor(principal), Requests.reason(body)));
    }

    /** The body of approve, reject, rollback, pause and resume. */
    @Schema(description = "Why: required, kept in the audit log")
    record ReasonRequest(
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED, maxLength = Requests.MAX_REASON_LENGTH)
            String reason) {}

    private static TransitionView view(Transitioned transitioned) {
        return new TransitionView(ActionView.of(transitioned.action()), AuditEntryView.of(transitioned.entry()));
    }

    private static ApiProblem notFound(UUID id) {
        return new ApiProblem(
                        org.springframework.http.HttpStatus.NOT_FOUND,
                        "action-not-found",
                        "No such action",
                        "no action " + id)
                .with("actionId", id.toString());
    }

    private static Set<ActionStatus> statuses(@Nullable List<String> names) {
        if (names == null) {
            return Set.of();
        }
        Set<ActionStatus> statuses = EnumSet.noneOf(ActionStatus.class);
        for (String list : names) {
            for (String name : list.split(",")) {
                if (name.isBlank()) {
                    continue;
                }
                statuses.add(ActionStatus.fromWireName(name.trim())
                        .orElseThrow(() -> unknown(
                                "status",
                                name,
                                Arrays.stream(ActionStatus.values())
                                        .map(ActionStatus::wireName)
                                        .toList())));
            }
        }
        return statuses;
    }

    private static @Nullable ActionKind kind(@Nullable String name) {
        if (name == null || name.isBlank()) {
            return null;
        }
        return ActionKind.fromWireName(name.trim())
                .orElseThrow(() -> unknown(
                        "kind",
                        name,
                        Arrays.stream(ActionKind.values())
                                .map(ActionKind::wireName)
                                .toList()));
    }

    static ApiProblem unknown(String field, String value, List<String> allowed) {
        return ApiProblem.invalid(
                        field,
                        "unknown value \"" + value + "\"; allowed: "
                                + allowed.stream().collect(Collectors.joining(", ")))
                .with("allowed", allowed);
    }

    private static @Nullable Instant instant(String field, @Nullable String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalid(field, "\"" + text + "\" is not an ISO-8601 instant such as 2026-11-22T10:00:00Z");
        }
    }

    private static int limit(@Nullable String text) {
        if (text == null || text.isBlank()) {
            return DEFAULT_LIMIT;
        }
        int limit;
        try {
            limit = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw ApiProblem.invalid("limit", "\"" + text + "\" is not an integer (1–" + ActionQuery.MAX_LIMIT + ")");
        }
        if (limit < 1 || limit > ActionQuery.MAX_LIMIT) {
            throw ApiProblem.invalid("limit", "must be 1–" + ActionQuery.MAX_LIMIT + ", not " + limit);
        }
        return limit;
    }

    private static @Nullable String blankToNull(@Nullable String text) {
        return text == null || text.isBlank() ? null : text.trim();
    }
}
