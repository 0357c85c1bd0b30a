package dev.stanch.playbook;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps three descriptions of the playbook format in step: the parser (the truth), the JSON Schema
 * that editors use ({@code docs/playbook.schema.json}) and the reference ({@code
 * docs/playbooks.md}). Every shipped playbook passes both the schema and the loader; every document
 * in a table of mistakes is refused by both, at the same field; the schema's enums, parameters and
 * defaults are the code's; every example in the reference loads.
 */
class PlaybookSchemaTest {

    private static final Path REPO = repository();
    private static final Path SCHEMA_FILE = REPO.resolve("docs/playbook.schema.json");
    private static final Path REFERENCE = REPO.resolve("docs/playbooks.md");
    private static final Path PLAYBOOKS = REPO.resolve("playbooks");

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final SchemaRegistry REGISTRY =
            SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final JsonNode SCHEMA_JSON = JSON.readTree(read(SCHEMA_FILE));
    private static final Schema SCHEMA = REGISTRY.getSchema(SCHEMA_JSON);

    private final PlaybookLoader loader = new PlaybookLoader();

    // ---- the schema itself ----

    @Test
    void theSchemaIsAValidDraft202012Schema() {
        Schema metaSchema = REGISTRY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));

        assertThat(metaSchema.validate(SCHEMA_JSON)).isEmpty();
        assertThat(SCHEMA_JSON.path("$schema").asString()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    }

    /**
     * Editors (yaml-language-server among them) read schemas as draft-07: keywords added later are
     * ignored there, and so is anything next to a {@code $ref}. Stay within what both read alike.
     */
    @Test
    void theSchemaMeansTheSameToDraft07Editors() {
        Set<String> laterKeywords = Set.of(
                "unevaluatedProperties",
                "unevaluatedItems",
                "prefixItems",
                "dependentSchemas",
                "dependentRequired",
                "$dynamicRef",
                "$dynamicAnchor",
                "$anchor",
                "minContains",
                "maxContains");
        List<String> problems = new ArrayList<>();
        SCHEMA_JSON.findParents("$ref").forEach(node -> {
            if (node.size() > 1) {
                problems.add("$ref with siblings: " + node);
            }
        });
        for (String keyword : laterKeywords) {
            if (!SCHEMA_JSON.findParents(keyword).isEmpty()) {
                problems.add("keyword newer than draft-07: " + keyword);
            }
        }

        assertThat(problems).isEmpty();
    }

    @Test
    void everyFieldHasADescription() {
        List<String> undescribed = new ArrayList<>();
        forEachProperty(SCHEMA_JSON, "", (path, property) -> {
            if (!property.isBoolean() && !property.has("description")) {
                undescribed.add(path);
            }
        });

        assertThat(undescribed).isEmpty();
    }

    @Test
    void theSchemaKnowsEverySourceSeverityAndAction() {
        JsonNode match = SCHEMA_JSON.at("/$defs/match/properties");
        JsonNode stage = SCHEMA_JSON.at("/$defs/stage/properties");

        assertThat(strings(match.at("/sources/items/enum")))
                .containsExactlyElementsOf(
                        Arrays.stream(Source.values()).map(Source::wireName).toList());
        assertThat(strings(match.at("/minSeverity/enum")))
                .containsExactlyElementsOf(
                        Arrays.stream(Severity.values()).map(Severity::wireName).toList());
        assertThat(strings(stage.at("/action/enum")))
                .containsExactlyElementsOf(Arrays.stream(ActionKind.values())
                        .map(ActionKind::wireName)
                        .toList());
        assertThat(strings(stage.at("/approval/enum")))
                .containsExactlyElementsOf(
                        Arrays.stream(Approval.values()).map(Approval::wireName).toList());
        assertThat(strings(stage.at("/onApprovalTimeout/enum")))
                .containsExactlyElementsOf(Arrays.stream(OnApprovalTimeout.values())
                        .map(OnApprovalTimeout::wireName)
                        .toList());
    }

    @Test
    void eachActionsParametersAreTheOnesItsContractDeclares() {
        for (ActionKind kind : ActionKind.values()) {
            JsonNode params = actionParams(kind);
            assertThat(params.path("additionalProperties").asBoolean(true))
                    .as("%s takes no parameters but its own", kind.wireName())
                    .isFalse();
            assertThat(names(params.path("properties")))
                    .as("parameters of %s", kind.wireName())
                    .containsExactlyInAnyOrderElementsOf(
                            kind.params().stream().map(ParamSpec::name).toList());
            for (ParamSpec spec : kind.params()) {
                JsonNode param = params.path("properties").path(spec.name());
                switch (spec.type()) {
                    case BOOLEAN -> {
                        assertThat(param.path("type").asString()).isEqualTo("boolean");
                        assertThat(param.path("default").asBoolean()).isEqualTo(spec.defaultValue());
                    }
                    case ENUM -> {
                        assertThat(strings(param.path("enum"))).isEqualTo(spec.allowed());
                        assertThat(param.path("default").asString()).isEqualTo(spec.defaultValue());
                    }
                }
            }
        }
    }

    @Test
    void theSchemasDefaultsAreTheParsersDefaults() {
        PlaybookSet set = loader.parse("minimal.yaml", """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata: {name: minimal}
            spec:
              match: {rules: ["*"]}
              stages: [{name: only, action: quarantine-pod}]
            """);
        assertThat(set.problems()).isEmpty();
        Playbook playbook = set.playbooks().getFirst();
        Stage stage = playbook.stages().getFirst();
        JsonNode spec = SCHEMA_JSON.at("/properties/spec/properties");
        JsonNode match = SCHEMA_JSON.at("/$defs/match/properties");
        JsonNode stageSchema = SCHEMA_JSON.at("/$defs/stage/properties");

        assertThat(SCHEMA_JSON
                        .at("/properties/metadata/properties/description/default")
                        .asString())
                .isEqualTo(playbook.description());
        assertThat(Durations.parse(spec.at("/window/default").asString())).contains(playbook.window());
        assertThat(spec.at("/priority/default").asInt()).isEqualTo(playbook.priority());
        assertThat(spec.at("/dryRun/default").asBoolean()).isEqualTo(playbook.dryRun());
        assertThat(match.at("/sources/default").isEmpty())
                .isEqualTo(playbook.match().sources().isEmpty());
        assertThat(match.at("/minSeverity/default").asString())
                .isEqualTo(playbook.match().minSeverity().wireName());
        assertThat(stageSchema.at("/after/default").asInt()).isEqualTo(stage.after());
        assertThat(stageSchema.at("/approval/default").asString())
                .isEqualTo(stage.approval().wireName());
        assertThat(Durations.parse(stageSchema.at("/approvalTimeout/default").asString()))
                .contains(stage.approvalTimeout());
        assertThat(stageSchema.at("/onApprovalTimeout/default").asString())
                .isEqualTo(stage.onApprovalTimeout().wireName());
        assertThat(stageSchema.path("expireAfter").has("default")).isFalse();
        assertThat(stage.expireAfter()).isNull();
    }

    // ---- the shipped playbooks ----

    static Stream<Path> shippedPlaybooks() throws IOException {
        try (Stream<Path> walk = Files.walk(PLAYBOOKS)) {
            List<Path> files = walk.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .sorted()
                    .toList();
            assertThat(files).as("playbooks in %s", PLAYBOOKS).hasSizeGreaterThanOrEqualTo(5);
            return files.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shippedPlaybooks")
    void everyShippedPlaybookPassesTheSchemaAndTheLoader(Path file) throws IOException {
        PlaybookSet set = loader.load(List.of(file));

        assertThat(set.errors()).isEmpty();
        assertThat(set.playbooks()).isNotEmpty();
        List<JsonNode> documents = documents(read(file));
        assertThat(documents).hasSameSizeAs(set.playbooks());
        for (JsonNode document : documents) {
            assertThat(schemaErrors(document)).isEmpty();
        }
    }

    // ---- documents both must accept, and documents both must refuse ----

    /** A playbook that uses every field; the table below breaks it one field at a time. */
    private static final String COMPLETE = """
      apiVersion: stanch.dev/v1alpha1
      kind: Playbook
      metadata:
        name: outbound-c2
        description: Contain a pod that talks to a command-and-control address.
      spec:
        priority: 10
        match:
          sources: [falco, tetragon]
          rules: ["Outbound Connection to C2 Servers", "Unexpected outbound*"]
          minSeverity: high
          when: detection.connection.peerIp != ""
        window: 30m
        stages:
          - name: cut-connection
            after: 1
            action: block-connection
            params:
              granularity: port
            approval: auto
            expireAfter: 4h
          - name: strip-credentials
            after: 2
            action: revoke-token
            params:
              rotateServiceAccount: false
            approval: auto
          - name: isolate
            after: 3
            when: occurrences >= 3
            action: quarantine-pod
            params:
              detach: true
            approval: required
            approvalTimeout: 15m
            onApprovalTimeout: reject
        dryRun: false
      """;

    private static final String MINIMAL_HEAD = """
      apiVersion: stanch.dev/v1alpha1
      kind: Playbook
      metadata: {name: minimal}
      """;

    /** COMPLETE with one piece of text replaced; the piece must occur exactly once. */
    private static String edit(String from, String to) {
        int first = COMPLETE.indexOf(from);
        if (first < 0 || COMPLETE.indexOf(from, first + 1) >= 0) {
            throw new IllegalArgumentException("not exactly once in COMPLETE: " + from);
        }
        return COMPLETE.replace(from, to);
    }

    private static String minimalWithSpec(String spec) {
        return MINIMAL_HEAD + spec;
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("every field", COMPLETE),
                Arguments.of("only the required fields", minimalWithSpec("""
                spec:
                  match: {rules: ["*"]}
                  stages: [{name: only, action: quarantine-pod}]
                """)),
                Arguments.of(
                        "approvalTimeout without approval (required is the default)",
                        edit("      approval: required\n", "")),
                Arguments.of(
                        "approve by silence (a warning, not an error)",
                        edit("onApprovalTimeout: reject", "onApprovalTimeout: approve")),
                Arguments.of("any source", edit("sources: [falco, tetragon]", "sources: []")),
                Arguments.of("a window of 30 days in hours", edit("window: 30m", "window: 720h")),
                Arguments.of("a compound duration", edit("expireAfter: 4h", "expireAfter: 1d2h3m4s")),
                Arguments.of("the lowest priority", edit("priority: 10", "priority: -1000")),
                Arguments.of("the largest after", edit("after: 3", "after: 1000000")),
                Arguments.of("no params", edit("      params:\n        detach: true\n", "")),
                Arguments.of("empty params", edit("      params:\n        detach: true\n", "      params: {}\n")),
                Arguments.of("address granularity", edit("granularity: port", "granularity: address")),
                Arguments.of(
                        "a folded multi-line condition", edit("    when: detection.connection.peerIp != \"\"\n", """
                    when: >-
                      detection.connection.peerIp != ""
                      && detection.connection.direction == "egress"
                """)),
                Arguments.of(
                        "two playbooks in one file",
                        COMPLETE + "---\n" + COMPLETE.replace("name: outbound-c2", "name: outbound-c2-copy")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void bothAccept(String description, String yaml) {
        PlaybookSet set = loader.parse("accepted.yaml", yaml);

        assertThat(set.errors()).as("loader").isEmpty();
        for (JsonNode document : documents(yaml)) {
            assertThat(schemaErrors(document)).as("schema").isEmpty();
        }
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                // the document
                Arguments.of("not a mapping", "- a\n- list\n", ""),
                Arguments.of(
                        "unknown top-level field", edit("kind: Playbook\n", "kind: Playbook\nstatus: {}\n"), "status"),
                Arguments.of("other apiVersion", edit("stanch.dev/v1alpha1", "stanch.dev/v1"), "apiVersion"),
                Arguments.of("other kind", edit("kind: Playbook", "kind: playbook"), "kind"),
                Arguments.of("no spec", MINIMAL_HEAD, "spec"),
                // metadata
                Arguments.of("no name", edit("  name: outbound-c2\n", ""), "metadata.name"),
                Arguments.of(
                        "unknown metadata field",
                        edit("metadata:\n", "metadata:\n  labels: {team: sec}\n"),
                        "metadata.labels"),
                Arguments.of(
                        "upper case and underscore in a name",
                        edit("name: outbound-c2", "name: Outbound_C2"),
                        "metadata.name"),
                Arguments.of("a name ending in '-'", edit("name: outbound-c2", "name: outbound-"), "metadata.name"),
                Arguments.of(
                        "a name of 64 characters",
                        edit("name: outbound-c2", "name: " + "a".repeat(64)),
                        "metadata.name"),
                Arguments.of(
                        "a name that is not a string", edit("name: outbound-c2", "name: [outbound]"), "metadata.name"),
                // spec
                Arguments.of(
                        "no match",
                        minimalWithSpec("spec:\n  stages: [{name: only, action: quarantine-pod}]\n"),
                        "spec.match"),
                Arguments.of("no stages", minimalWithSpec("spec:\n  match: {rules: [\"*\"]}\n"), "spec.stages"),
                Arguments.of(
                        "no stage at all",
                        minimalWithSpec("spec:\n  match: {rules: [\"*\"]}\n  stages: []\n"),
                        "spec.stages"),
                Arguments.of(
                        "stages not a list",
                        minimalWithSpec("spec:\n  match: {rules: [\"*\"]}\n  stages: {only: quarantine-pod}\n"),
                        "spec.stages"),
                Arguments.of(
                        "unknown spec field",
                        edit("  dryRun: false", "  dryRun: false\n  enabled: true"),
                        "spec.enabled"),
                Arguments.of("dryRun as a string", edit("dryRun: false", "dryRun: \"false\""), "spec.dryRun"),
                Arguments.of("priority above 1000", edit("priority: 10", "priority: 1001"), "spec.priority"),
                Arguments.of("priority below -1000", edit("priority: 10", "priority: -1001"), "spec.priority"),
                Arguments.of("priority as a word", edit("priority: 10", "priority: high"), "spec.priority"),
                Arguments.of("a window in words", edit("window: 30m", "window: 30 minutes"), "spec.window"),
                Arguments.of("a window without a unit", edit("window: 30m", "window: 30"), "spec.window"),
                Arguments.of("units out of order", edit("window: 30m", "window: 30m1h"), "spec.window"),
                Arguments.of("an empty window", edit("window: 30m", "window: \"\""), "spec.window"),
                Arguments.of("a fractional window", edit("window: 30m", "window: 1.5h"), "spec.window"),
                Arguments.of("a zero window", edit("window: 30m", "window: 0m"), "spec.window"),
                // match
                Arguments.of(
                        "unknown source",
                        edit("sources: [falco, tetragon]", "sources: [falco, snort]"),
                        "spec.match.sources[1]"),
                Arguments.of(
                        "sources not a list",
                        edit("sources: [falco, tetragon]", "sources: falco"),
                        "spec.match.sources"),
                Arguments.of(
                        "no rules",
                        edit("    rules: [\"Outbound Connection to C2 Servers\", \"Unexpected outbound*\"]\n", ""),
                        "spec.match.rules"),
                Arguments.of(
                        "an empty rule list",
                        edit("rules: [\"Outbound Connection to C2 Servers\", \"Unexpected outbound*\"]", "rules: []"),
                        "spec.match.rules"),
                Arguments.of(
                        "a blank rule",
                        edit(
                                "rules: [\"Outbound Connection to C2 Servers\", \"Unexpected outbound*\"]",
                                "rules: [\"*\", \" \"]"),
                        "spec.match.rules[1]"),
                Arguments.of(
                        "unknown severity", edit("minSeverity: high", "minSeverity: severe"), "spec.match.minSeverity"),
                Arguments.of(
                        "severity in capitals",
                        edit("minSeverity: high", "minSeverity: High"),
                        "spec.match.minSeverity"),
                Arguments.of(
                        "unknown match field",
                        edit("    minSeverity: high\n", "    minSeverity: high\n    namespaces: [shop]\n"),
                        "spec.match.namespaces"),
                Arguments.of(
                        "an empty condition",
                        edit("when: detection.connection.peerIp != \"\"", "when: \"\""),
                        "spec.match.when"),
                Arguments.of(
                        "a blank condition",
                        edit("when: detection.connection.peerIp != \"\"", "when: \"   \""),
                        "spec.match.when"),
                Arguments.of(
                        "a condition that is a list",
                        edit("when: detection.connection.peerIp != \"\"", "when: [a, b]"),
                        "spec.match.when"),
                // stages
                Arguments.of(
                        "unknown stage field (typo)",
                        edit(
                                "      approval: auto\n      expireAfter: 4h",
                                "      aproval: auto\n      expireAfter: 4h"),
                        "spec.stages[0].aproval"),
                Arguments.of(
                        "no stage name",
                        edit("    - name: isolate\n      after: 3", "    - after: 3"),
                        "spec.stages[2].name"),
                Arguments.of("bad stage name", edit("name: isolate", "name: Isolate!"), "spec.stages[2].name"),
                Arguments.of("no action", edit("      action: quarantine-pod\n", ""), "spec.stages[2].action"),
                Arguments.of(
                        "unknown action",
                        edit("action: quarantine-pod", "action: quarantine"),
                        "spec.stages[2].action"),
                Arguments.of("after 0", edit("after: 1", "after: 0"), "spec.stages[0].after"),
                Arguments.of("after above 1000000", edit("after: 3", "after: 1000001"), "spec.stages[2].after"),
                Arguments.of("after as a word", edit("after: 2", "after: two"), "spec.stages[1].after"),
                Arguments.of("after as a quoted number", edit("after: 2", "after: \"2\""), "spec.stages[1].after"),
                Arguments.of("after as a fraction", edit("after: 2", "after: 2.5"), "spec.stages[1].after"),
                Arguments.of(
                        "a stage condition that is a mapping",
                        edit("when: occurrences >= 3", "when: {occurrences: 3}"),
                        "spec.stages[2].when"),
                // params
                Arguments.of(
                        "params not a mapping",
                        edit("      params:\n        detach: true\n", "      params: [detach]\n"),
                        "spec.stages[2].params"),
                Arguments.of(
                        "a quarantine-pod param for block-connection",
                        edit("granularity: port", "detach: true"),
                        "spec.stages[0].params.detach"),
                Arguments.of(
                        "a block-connection param for revoke-token",
                        edit("rotateServiceAccount: false", "granularity: port"),
                        "spec.stages[1].params.granularity"),
                Arguments.of(
                        "a revoke-token param for quarantine-pod",
                        edit("detach: true", "rotateServiceAccount: true"),
                        "spec.stages[2].params.rotateServiceAccount"),
                Arguments.of(
                        "unknown granularity",
                        edit("granularity: port", "granularity: host"),
                        "spec.stages[0].params.granularity"),
                Arguments.of(
                        "rotateServiceAccount as a string",
                        edit("rotateServiceAccount: false", "rotateServiceAccount: \"false\""),
                        "spec.stages[1].params.rotateServiceAccount"),
                Arguments.of("detach as a number", edit("detach: true", "detach: 1"), "spec.stages[2].params.detach"),
                // approval and expiry
                Arguments.of(
                        "unknown approval", edit("approval: required", "approval: manual"), "spec.stages[2].approval"),
                Arguments.of(
                        "approvalTimeout with approval auto",
                        edit(
                                "      approval: auto\n      expireAfter: 4h",
                                "      approval: auto\n      approvalTimeout: 5m\n      expireAfter: 4h"),
                        "spec.stages[0].approvalTimeout"),
                Arguments.of(
                        "onApprovalTimeout with approval auto",
                        edit(
                                "      approval: auto\n      expireAfter: 4h",
                                "      approval: auto\n      onApprovalTimeout: reject\n      expireAfter: 4h"),
                        "spec.stages[0].onApprovalTimeout"),
                Arguments.of(
                        "unknown onApprovalTimeout",
                        edit("onApprovalTimeout: reject", "onApprovalTimeout: ignore"),
                        "spec.stages[2].onApprovalTimeout"),
                Arguments.of(
                        "a zero approvalTimeout",
                        edit("approvalTimeout: 15m", "approvalTimeout: 0m"),
                        "spec.stages[2].approvalTimeout"),
                Arguments.of(
                        "approvalTimeout in words",
                        edit("approvalTimeout: 15m", "approvalTimeout: 15 min"),
                        "spec.stages[2].approvalTimeout"),
                Arguments.of(
                        "a zero expireAfter",
                        edit("expireAfter: 4h", "expireAfter: 0h0m"),
                        "spec.stages[0].expireAfter"),
                Arguments.of(
                        "expireAfter with a space",
                        edit("expireAfter: 4h", "expireAfter: 4 h"),
                        "spec.stages[0].expireAfter"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void bothRefuseAtTheSameField(String description, String yaml, String field) {
        PlaybookSet set = loader.parse("refused.yaml", yaml);

        assertThat(set.errors())
                .as("the loader reports %s", field)
                .extracting(Problem::field)
                .contains(field);
        List<JsonNode> documents = documents(yaml);
        assertThat(documents).hasSize(1);
        assertThat(schemaErrors(documents.getFirst()))
                .as("the schema reports %s", field)
                .extracting(PlaybookSchemaTest::field)
                .contains(field);
    }

    // ---- the reference ----

    /** The ```yaml blocks of the reference that are whole playbooks. */
    static Stream<Arguments> documentedExamples() {
        String markdown = read(REFERENCE);
        Matcher block =
                Pattern.compile("(?m)^```yaml\\n(.*?)^```$", Pattern.DOTALL).matcher(markdown);
        List<Arguments> examples = new ArrayList<>();
        while (block.find()) {
            String yaml = block.group(1);
            if (yaml.startsWith("apiVersion: stanch.dev/v1alpha1")) {
                int line = (int) markdown.substring(0, block.start()).lines().count() + 2;
                examples.add(Arguments.of("docs/playbooks.md:" + line, yaml));
            }
        }
        assertThat(examples).as("whole-playbook examples in %s", REFERENCE).hasSizeGreaterThan(3);
        return examples.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("documentedExamples")
    void everyDocumentedExampleLoadsAndPassesTheSchema(String where, String yaml) {
        PlaybookSet set = loader.parse(where, yaml);

        assertThat(set.errors()).isEmpty();
        assertThat(set.playbooks()).isNotEmpty();
        for (JsonNode document : documents(yaml)) {
            assertThat(schemaErrors(document)).isEmpty();
        }
    }

    @Test
    void theReferenceExplainsEveryFieldOfTheSchema() {
        String markdown = read(REFERENCE);
        Set<String> missing = new TreeSet<>();
        forEachProperty(SCHEMA_JSON, "", (path, property) -> {
            String name = path.substring(path.lastIndexOf('.') + 1);
            if (!markdown.contains("`" + name + "`")) {
                missing.add(path);
            }
        });

        assertThat(missing).as("fields not named in %s", REFERENCE).isEmpty();
    }

    // ---- helpers ----

    private static List<Error> schemaErrors(JsonNode document) {
        return SCHEMA.validate(document);
    }

    /**
     * Where a schema error points, in the loader's notation ({@code spec.stages[0].params.detach}):
     * the instance location, plus the property for keywords that report one (required,
     * additionalProperties).
     */
    private static String field(Error error) {
        StringBuilder field = new StringBuilder();
        NodePath location = error.getInstanceLocation();
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            if (element instanceof Integer index) {
                field.append('[').append(index).append(']');
            } else {
                field.append(field.isEmpty() ? "" : ".").append(element);
            }
        }
        String property = error.getProperty();
        if (property != null
                && ("required".equals(error.getKeyword()) || "additionalProperties".equals(error.getKeyword()))) {
            field.append(field.isEmpty() ? "" : ".").append(property);
        }
        return field.toString();
    }

    /** YAML documents as JSON, read with SnakeYAML as the parser reads them; empty ones skipped. */
    private static List<JsonNode> documents(String yaml) {
        List<JsonNode> documents = new ArrayList<>();
        for (Object document : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(yaml)) {
            if (document != null) {
                documents.add(JSON.valueToTree(document));
            }
        }
        return documents;
    }

    private interface PropertyVisitor {
        void visit(String path, JsonNode property);
    }

    /** Every property declared anywhere in the schema, with a dotted path for messages. */
    private static void forEachProperty(JsonNode schema, String path, PropertyVisitor visitor) {
        if (schema.isObject()) {
            for (var entry : schema.properties()) {
                if (entry.getKey().equals("properties") && entry.getValue().isObject()) {
                    for (var property : entry.getValue().properties()) {
                        String propertyPath = path.isEmpty() ? property.getKey() : path + "." + property.getKey();
                        visitor.visit(propertyPath, property.getValue());
                        forEachProperty(property.getValue(), propertyPath, visitor);
                    }
                } else if (!entry.getKey().equals("if")) {
                    forEachProperty(entry.getValue(), path, visitor);
                }
            }
        } else if (schema.isArray()) {
            for (JsonNode item : schema) {
                forEachProperty(item, path, visitor);
            }
        }
    }

    /** The params subschema the schema applies for one action (the then of its if/then). */
    private static JsonNode actionParams(ActionKind kind) {
        for (JsonNode rule : SCHEMA_JSON.at("/$defs/stage/allOf")) {
            if (kind.wireName().equals(rule.at("/if/properties/action/const").asString(""))) {
                return rule.at("/then/properties/params");
            }
        }
        throw new AssertionError("no params rule for " + kind.wireName() + " in the schema");
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asString()));
        return values;
    }

    private static List<String> names(JsonNode object) {
        return object.propertyNames().stream().toList();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The repository root: the pom sets {@code stanch.repo}; from an IDE, the nearest parent. */
    private static Path repository() {
        String configured = System.getProperty("stanch.repo");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("playbooks")) && Files.isDirectory(dir.resolve("docs"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the repository; set -Dstanch.repo");
    }
}
