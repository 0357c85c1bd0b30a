package dev.stanch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.stanch.api.ApiViews.AdmitView;
import dev.stanch.api.ApiViews.DecisionView;
import dev.stanch.api.ApiViews.PlanningView;
import dev.stanch.detection.DetectionJson;
import dev.stanch.detection.Normalization;
import dev.stanch.workflow.Simulator;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Simulations: events in, what Stanch would do out — normalization, the playbooks' decision, the
 * plan against the live cluster, the guardrails' decision — and nothing written anywhere
 * ({@link Simulator}).
 */
@RestController
@RequestMapping(path = "/api/v1/simulations", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "simulations", description = "What Stanch would do with some events, without doing it")
public class SimulationsController {

    /** Events per simulation: each may read the cluster. */
    static final int MAX_EVENTS = 1000;

    private final Simulator simulator;
    private final JsonMapper json;

    public SimulationsController(Simulator simulator, JsonMapper json) {
        this.simulator = Objects.requireNonNull(simulator, "simulator");
        this.json = Objects.requireNonNull(json, "json");
    }

    /**
     * What became of one event.
     *
     * @param index its place in the request, from 0
     * @param outcome acted, no-action, duplicate, ignored or rejected
     * @param reason why it was ignored or rejected
     * @param detection the detection, in Stanch's schema
     * @param decision the playbooks' decision
     * @param actionId the id the plan was made with: a simulation's own, it names nothing in the cluster
     * @param planning the plan, or the planner's refusal
     * @param admit the guardrails' decision
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SimulatedView(
            int index,
            String outcome,
            @Nullable String reason,
            @Nullable Map<String, Object> detection,
            @Nullable DecisionView decision,
            @Nullable UUID actionId,
            @Nullable PlanningView planning,
            @Nullable AdmitView admit) {

        static SimulatedView of(Simulator.Simulated simulated) {
            return switch (simulated.normalization()) {
                case Normalization.Rejected rejected ->
                    new SimulatedView(simulated.index(), "rejected", rejected.reason(), null, null, null, null, null);
                case Normalization.Ignored ignored ->
                    new SimulatedView(simulated.index(), "ignored", ignored.reason(), null, null, null, null, null);
                case Normalization.Normalized normalized ->
                    new SimulatedView(
                            simulated.index(),
                            simulated.duplicate() ? "duplicate" : simulated.planning() != null ? "acted" : "no-action",
                            simulated.duplicate() ? "seen before: the intake would stop here" : null,
                            DetectionJson.toJsonMap(normalized.detection()),
                            simulated.decision() == null ? null : DecisionView.of(simulated.decision()),
                            simulated.actionId(),
                            simulated.planning() == null ? null : PlanningView.of(simulated.planning()),
                            simulated.admit() == null ? null : AdmitView.of(simulated.admit()));
            };
        }
    }

    record SimulationView(List<SimulatedView> events) {}

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            operationId = "simulate",
            summary = "Simulate events: plans out, nothing written",
            description = "One event (a JSON object) or a list of them, in order: each counts as an occurrence for"
                    + " the next ones, on top of the ledger's history. Nothing is written to the ledger or the"
                    + " cluster.",
            requestBody =
                    @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content = @Content(schema = @Schema(description = "an event, or an array of events"))))
    public SimulationView simulate(@RequestBody byte[] body) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw ApiProblem.invalid("body", "not valid JSON: " + e.getOriginalMessage());
        }
        List<byte[]> events = new ArrayList<>();
        if (root != null && root.isArray()) {
            if (root.size() > MAX_EVENTS) {
                throw ApiProblem.invalid(
                        "body", "at most " + MAX_EVENTS + " events per simulation, got " + root.size());
            }
            for (JsonNode event : root) {
                events.add(json.writeValueAsBytes(event));
            }
        } else if (root != null && root.isObject()) {
            events.add(body);
        } else {
            throw ApiProblem.invalid("body", "expected an event (a JSON object) or an array of events");
        }
        return new SimulationView(
                simulator.simulate(events).stream().map(SimulatedView::of).toList());
    }
}
