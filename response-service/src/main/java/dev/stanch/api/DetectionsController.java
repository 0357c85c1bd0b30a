package dev.stanch.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.stanch.api.ApiViews.ActionView;
import dev.stanch.api.ApiViews.AdmitView;
import dev.stanch.api.ApiViews.DecisionView;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.workflow.Intake;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP intake: one raw detector event per request, exactly as the detector (or Falcosidekick's
 * webhook output) posts it. The same path as Kafka's: normalize, then {@link Intake#accept} — store
 * once, decide, plan, admit — in one transaction, so that an event refused for a passing reason
 * (the cluster or the database unreachable: 503) can simply be posted again.
 */
@RestController
@RequestMapping(path = "/api/v1/detections", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "detections", description = "The HTTP intake of detector events")
public class DetectionsController {

    /** Falcosidekick's webhook and CloudEvents outputs, detectors' webhooks, curl. */
    static final String CLOUDEVENTS_JSON = "application/cloudevents+json";

    private final DetectionNormalizer normalizer;
    private final Intake intake;
    private final JsonMapper json;

    public DetectionsController(DetectionNormalizer normalizer, Intake intake, JsonMapper json) {
        this.normalizer = Objects.requireNonNull(normalizer, "normalizer");
        this.intake = Objects.requireNonNull(intake, "intake");
        this.json = Objects.requireNonNull(json, "json");
    }

    /**
     * What became of a posted event.
     *
     * @param outcome acted, no-action, duplicate or ignored
     * @param detectionId the detection's id (its detector's event id, or a hash of the event)
     * @param reason why an event was ignored
     * @param action the action recorded, when a playbook acted
     * @param admit the guardrails' decision on it
     * @param decision the playbooks' decision, when none acted
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DetectionOutcome(
            String outcome,
            @Nullable String detectionId,
            @Nullable String reason,
            @Nullable ActionView action,
            @Nullable AdmitView admit,
            @Nullable DecisionView decision) {}

    @PostMapping(consumes = {MediaType.APPLICATION_JSON_VALUE, CLOUDEVENTS_JSON})
    @Operation(
            operationId = "postDetection",
            summary = "Post one detector event",
            description = "Falco (as Falcosidekick's webhook posts it), Tetragon, KubeArmor, a CloudEvent"
                    + " (structured, or binary with ce-* headers) or Stanch's own schema; docs/detections.md"
                    + " has the mappings. 201 when an action was recorded (Location names it), 200 when the"
                    + " detection is a duplicate or no playbook acted, 202 when the event is not an alert.",
            requestBody =
                    @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content =
                                    @Content(schema = @Schema(type = "object", description = "a raw detector event"))))
    @ApiResponse(
            responseCode = "201",
            description = "a playbook acted: the action in its first status",
            content = @Content(schema = @Schema(implementation = DetectionOutcome.class)))
    @ApiResponse(
            responseCode = "200",
            description = "a duplicate, or no playbook acted (with the reasons)",
            content = @Content(schema = @Schema(implementation = DetectionOutcome.class)))
    @ApiResponse(
            responseCode = "202",
            description = "not an alert (Falco's internal events): ignored",
            content = @Content(schema = @Schema(implementation = DetectionOutcome.class)))
    public ResponseEntity<DetectionOutcome> post(@RequestBody byte[] body, HttpServletRequest request) {
        Normalization normalization = normalizer.normalize(binaryCloudEvent(body, request));
        return switch (normalization) {
            case Normalization.Rejected rejected ->
                throw new ApiProblem(
                                HttpStatus.BAD_REQUEST,
                                "detection-rejected",
                                "Detection rejected",
                                "the event cannot be acted on: " + rejected.reason())
                        .with("reason", rejected.reason());
            case Normalization.Ignored ignored ->
                ResponseEntity.accepted()
                        .body(new DetectionOutcome("ignored", null, ignored.reason(), null, null, null));
            case Normalization.Normalized normalized -> accepted(intake.accept(normalized.detection()));
        };
    }

    private static ResponseEntity<DetectionOutcome> accepted(Intake.Result result) {
        return switch (result) {
            case Intake.Result.Acted acted ->
                ResponseEntity.created(
                                URI.create("/api/v1/actions/" + acted.action().id()))
                        .body(new DetectionOutcome(
                                "acted",
                                acted.detectionId(),
                                null,
                                ActionView.of(acted.action()),
                                AdmitView.of(acted.admit()),
                                null));
            case Intake.Result.Duplicate duplicate ->
                ResponseEntity.ok(new DetectionOutcome(
                        "duplicate",
                        duplicate.detectionId(),
                        "seen before: stored once, nothing changed",
                        null,
                        null,
                        null));
            case Intake.Result.NoAction none ->
                ResponseEntity.ok(new DetectionOutcome(
                        "no-action", none.detectionId(), null, null, null, DecisionView.of(none.decision())));
        };
    }

    /**
     * A CloudEvent in binary mode (its attributes in {@code ce-*} headers, the body its data), as
     * Falcosidekick's CloudEvents output sends it, rebuilt in structured mode for the normalizer.
     * Anything else is passed on as it came.
     */
    private byte[] binaryCloudEvent(byte[] body, HttpServletRequest request) {
        String specversion = request.getHeader("ce-specversion");
        if (specversion == null) {
            return body;
        }
        Object data;
        try {
            data = json.readValue(body, Object.class);
        } catch (JacksonException e) {
            throw ApiProblem.invalid(
                    "data", "the body of a binary-mode CloudEvent must be JSON: " + e.getOriginalMessage());
        }
        Map<String, Object> event = new LinkedHashMap<>();
        for (String header : Collections.list(request.getHeaderNames())) {
            String name = header.toLowerCase(Locale.ROOT);
            if (name.startsWith("ce-") && name.length() > 3) {
                event.put(name.substring(3), request.getHeader(header));
            }
        }
        event.put("datacontenttype", MediaType.APPLICATION_JSON_VALUE);
        event.put("data", data);
        return json.writeValueAsBytes(event);
    }
}
