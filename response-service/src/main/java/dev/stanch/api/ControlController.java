package dev.stanch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.stanch.api.ApiViews.ControlEventView;
import dev.stanch.api.ApiViews.PauseView;
import dev.stanch.guardrail.Pause;
import dev.stanch.ledger.Ledger;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The pause switch: while Stanch is paused, every planned action is blocked (rule {@code paused}), on
 * every instance — the switch is in the ledger. What is already approved or applied is not undone.
 */
@RestController
@RequestMapping(path = "/api/v1/control", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "control", description = "Pause and resume Stanch")
public class ControlController {

    /** How many changes of the switch the status shows. */
    static final int LOG_SHOWN = 20;

    private final Ledger ledger;

    public ControlController(Ledger ledger) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
    }

    /**
     * The switch.
     *
     * @param paused whether new actions are blocked
     * @param pause who paused, when and why, while paused
     * @param changed whether this request changed the switch (false: it was that way already); absent
     *     from the status
     * @param log the latest changes, newest first
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ControlView(
            boolean paused,
            @Nullable PauseView pause,
            @Nullable Boolean changed,
            List<ControlEventView> log) {}

    @GetMapping("/status")
    @Operation(
            operationId = "controlStatus",
            summary = "Whether Stanch is paused, by whom and why, and the latest changes")
    public ControlView status() {
        return view(ledger.paused().orElse(null), null);
    }

    @PostMapping(path = "/pause", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            operationId = "pause",
            summary = "Pause: every new action is blocked until resumed",
            description = "When paused already, the pause in force stays (changed: false).")
    public ControlView pause(
            @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content =
                                    @Content(schema = @Schema(implementation = ActionsController.ReasonRequest.class)))
                    @RequestBody
                    Map<String, Object> body,
            Principal principal) {
        String actor = Requests.actor(principal);
        String reason = Requests.reason(body);
        boolean pausedBefore = ledger.paused().isPresent();
        Pause pause = ledger.pause(actor, reason);
        // Another pause may win in between: then the one in force is not this request's.
        boolean changed =
                !pausedBefore && pause.by().equals(actor) && pause.reason().equals(reason);
        return view(pause, changed);
    }

    @PostMapping(path = "/resume", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            operationId = "resume",
            summary = "Resume: new actions are admitted again",
            description = "changed: false when not paused.")
    public ControlView resume(
            @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content =
                                    @Content(schema = @Schema(implementation = ActionsController.ReasonRequest.class)))
                    @RequestBody
                    Map<String, Object> body,
            Principal principal) {
        boolean changed = ledger.resume(Requests.actor(principal), Requests.reason(body));
        return view(ledger.paused().orElse(null), changed);
    }

    private ControlView view(@Nullable Pause pause, @Nullable Boolean changed) {
        return new ControlView(
                pause != null,
                PauseView.of(pause),
                changed,
                ledger.controlLog(LOG_SHOWN).stream().map(ControlEventView::of).toList());
    }
}
