package dev.stanch.api;

import dev.stanch.api.ApiViews.PlaybookView;
import dev.stanch.api.ApiViews.ProblemView;
import dev.stanch.playbook.Playbook;
import dev.stanch.playbook.PlaybookCatalog;
import dev.stanch.playbook.PlaybookLoader;
import dev.stanch.playbook.PlaybookSet;
import dev.stanch.playbook.Problem;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The playbooks in force, validation of a playbook before it goes live, and reload. */
@RestController
@RequestMapping(path = "/api/v1/playbooks", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "playbooks", description = "The playbooks in force; validate and reload")
public class PlaybooksController {

    static final String APPLICATION_YAML = "application/yaml";
    static final String TEXT_YAML = "text/yaml";

    private final PlaybookCatalog catalog;
    private final PlaybookLoader loader = new PlaybookLoader();

    public PlaybooksController(PlaybookCatalog catalog) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
    }

    /**
     * A reload that was refused: the set in force did not change.
     *
     * @param at when
     * @param problems the errors that refused it
     */
    record RefusedView(Instant at, List<ProblemView> problems) {}

    /**
     * The playbooks in force.
     *
     * @param loadedAt when the set in force was loaded
     * @param playbooks every playbook, in name order
     * @param lastRefused the last reload that was refused, while no later one succeeded
     */
    record PlaybooksView(
            Instant loadedAt,
            List<PlaybookView> playbooks,
            @Nullable RefusedView lastRefused) {}

    /**
     * What validation found.
     *
     * @param valid no errors (warnings allowed)
     * @param playbooks the names of the valid playbooks in the document
     * @param problems every error and warning, with file, line and field
     */
    record ValidationView(boolean valid, List<String> playbooks, List<ProblemView> problems) {}

    /**
     * What a reload did.
     *
     * @param reloaded true when the new set is in force; false when it was refused (the old one stays)
     * @param loadedAt when the set in force was loaded
     * @param playbooks how many playbooks are in force
     * @param problems the errors of a refused reload
     */
    record ReloadView(boolean reloaded, Instant loadedAt, int playbooks, List<ProblemView> problems) {}

    @GetMapping
    @Operation(operationId = "listPlaybooks", summary = "The playbooks in force, and the last refused reload")
    public PlaybooksView list() {
        PlaybookCatalog.Loaded current = catalog.current();
        return new PlaybooksView(
                current.at(),
                current.playbooks().stream()
                        .sorted(java.util.Comparator.comparing(Playbook::name))
                        .map(PlaybookView::of)
                        .toList(),
                catalog.lastRefused()
                        .map(refused -> new RefusedView(refused.at(), problems(refused.problems())))
                        .orElse(null));
    }

    @PostMapping(
            path = "/validate",
            consumes = {APPLICATION_YAML, TEXT_YAML, MediaType.TEXT_PLAIN_VALUE})
    @Operation(
            operationId = "validatePlaybook",
            summary = "Validate a playbook document",
            description = "The YAML of one file (one or more documents). Always 200 when the document was read:"
                    + " valid says whether it would load; problems name file, line and field.",
            requestBody =
                    @io.swagger.v3.oas.annotations.parameters.RequestBody(
                            content = {
                                @Content(mediaType = APPLICATION_YAML, schema = @Schema(type = "string")),
                                @Content(mediaType = TEXT_YAML, schema = @Schema(type = "string")),
                                @Content(mediaType = MediaType.TEXT_PLAIN_VALUE, schema = @Schema(type = "string"))
                            }))
    public ValidationView validate(
            @RequestBody byte[] body,
            @RequestHeader(HttpHeaders.CONTENT_TYPE) String contentType,
            @Parameter(description = "the file name problems are reported under (default: playbook.yaml)")
                    @RequestParam(name = "file", required = false)
                    @Nullable
                    String file) {
        String name = file == null || file.isBlank() ? "playbook.yaml" : file;
        PlaybookSet set = loader.parse(name, text(body, contentType));
        return new ValidationView(
                set.isValid(), set.playbooks().stream().map(Playbook::name).toList(), problems(set.problems()));
    }

    @PostMapping("/reload")
    @Operation(
            operationId = "reloadPlaybooks",
            summary = "Read the playbook directory again",
            description = "A valid set replaces the one in force; otherwise nothing changes and the errors are"
                    + " returned (and shown as lastRefused). 409 when the playbooks are not loaded from a"
                    + " directory.")
    public ReloadView reload() {
        List<Problem> problems;
        try {
            problems = catalog.reload();
        } catch (IllegalStateException e) {
            throw new ApiProblem(HttpStatus.CONFLICT, "playbooks-fixed", "Nothing to reload", e.getMessage());
        }
        PlaybookCatalog.Loaded current = catalog.current();
        return new ReloadView(
                problems.isEmpty(), current.at(), current.playbooks().size(), problems(problems));
    }

    private static List<ProblemView> problems(List<Problem> problems) {
        return problems.stream().map(ProblemView::of).toList();
    }

    /** The body as text, in its declared charset or UTF-8; refused when it is not valid in it. */
    private static String text(byte[] body, String contentType) {
        Charset charset = StandardCharsets.UTF_8;
        try {
            Charset declared = MediaType.parseMediaType(contentType).getCharset();
            if (declared != null) {
                charset = declared;
            }
        } catch (IllegalArgumentException e) {
            // Spring matched the media type already; an odd parameter falls back to UTF-8.
        }
        try {
            return charset.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            throw ApiProblem.invalid("body", "not " + charset.name() + " text");
        }
    }
}
