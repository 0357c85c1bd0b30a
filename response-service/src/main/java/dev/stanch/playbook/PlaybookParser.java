package dev.stanch.playbook;

import dev.stanch.detection.KubernetesNames;
import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads playbook documents from YAML text and validates them, reporting every problem with file,
 * line and field path. It works on SnakeYAML's node tree rather than on plain maps because only the
 * nodes remember where they came from.
 */
final class PlaybookParser {

    static final String API_VERSION = "stanch.dev/v1alpha1";
    static final String KIND = "Playbook";

    private static final Pattern DECIMAL = Pattern.compile("[-+]?(0|[1-9][0-9]*)");

    private static final Duration MAX_WINDOW = Duration.ofDays(30);
    private static final Duration DEFAULT_WINDOW = Duration.ofHours(1);
    private static final Duration DEFAULT_APPROVAL_TIMEOUT = Duration.ofMinutes(15);

    private final Conditions conditions;

    PlaybookParser(Conditions conditions) {
        this.conditions = conditions;
    }

    record Parsed(List<Playbook> playbooks, List<Problem> problems) {}

    Parsed parse(String file, String content) {
        Reader reader = new Reader(file);
        List<Playbook> playbooks = new ArrayList<>();
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(20);
        try {
            for (Node document : new Yaml(options).composeAll(new StringReader(content))) {
                if (document != null) {
                    reader.playbook(document).ifPresent(playbooks::add);
                }
            }
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 1 : e.getProblemMark().getLine() + 1;
            String problem = e.getProblem() == null ? e.getMessage() : e.getProblem();
            reader.error(line, "", "not valid YAML: " + problem);
            return new Parsed(List.of(), reader.problems);
        } catch (YAMLException e) {
            reader.error(1, "", "not valid YAML: " + e.getMessage());
            return new Parsed(List.of(), reader.problems);
        }
        if (playbooks.isEmpty() && reader.problems.isEmpty()) {
            reader.warning(1, "", "no playbook in this file");
        }
        return new Parsed(playbooks, reader.problems);
    }

    /** Walks one file's documents, collecting problems instead of stopping at the first. */
    private final class Reader {
        private final String file;
        private final List<Problem> problems = new ArrayList<>();

        Reader(String file) {
            this.file = file;
        }

        void error(int line, String field, String message) {
            problems.add(new Problem(file, line, field, Problem.Level.ERROR, message));
        }

        void warning(int line, String field, String message) {
            problems.add(new Problem(file, line, field, Problem.Level.WARNING, message));
        }

        Optional<Playbook> playbook(Node document) {
            int errorsBefore = errorCount();
            Optional<Fields> root = fields(
                    document,
                    "",
                    Set.of("apiVersion", "kind", "metadata", "spec"),
                    Set.of("apiVersion", "kind", "metadata", "spec"));
            if (root.isEmpty()) {
                return Optional.empty();
            }
            Fields top = root.get();
            text(top, "apiVersion")
                    .filter(value -> !value.equals(API_VERSION))
                    .ifPresent(value -> error(
                            top.line("apiVersion"),
                            "apiVersion",
                            "must be \"" + API_VERSION + "\", not \"" + value + "\""));
            text(top, "kind")
                    .filter(value -> !value.equals(KIND))
                    .ifPresent(value ->
                            error(top.line("kind"), "kind", "must be \"" + KIND + "\", not \"" + value + "\""));

            String name = null;
            String description = "";
            Optional<Fields> metadata = top.node("metadata")
                    .flatMap(node -> fields(node, "metadata", Set.of("name", "description"), Set.of("name")));
            if (metadata.isPresent()) {
                name = text(metadata.get(), "name")
                        .filter(value -> validName(metadata.get(), "name", value))
                        .orElse(null);
                description = text(metadata.get(), "description").orElse("");
            }

            Optional<Fields> spec = top.node("spec")
                    .flatMap(node -> fields(
                            node,
                            "spec",
                            Set.of("match", "window", "stages", "dryRun", "priority"),
                            Set.of("match", "stages")));
            if (spec.isEmpty()) {
                return Optional.empty();
            }
            Fields body = spec.get();
            MatchSpec match = body.node("match")
                    .flatMap(node -> match(node, "spec.match"))
                    .orElse(null);
            Duration window = body.node("window")
                    .flatMap(node -> positiveDuration(node, "spec.window"))
                    .orElse(DEFAULT_WINDOW);
            if (window.compareTo(MAX_WINDOW) > 0) {
                error(
                        body.line("window"),
                        "spec.window",
                        "at most " + Durations.format(MAX_WINDOW) + ", not " + Durations.format(window));
            }
            boolean dryRun = body.node("dryRun")
                    .flatMap(node -> bool(node, "spec.dryRun"))
                    .orElse(false);
            int priority = body.node("priority")
                    .flatMap(node -> integer(node, "spec.priority", -1000, 1000))
                    .orElse(0);
            List<Stage> stages =
                    body.node("stages").map(node -> stages(node, "spec.stages")).orElse(List.of());

            if (errorCount() > errorsBefore || name == null || match == null) {
                return Optional.empty();
            }
            return Optional.of(
                    new Playbook(name, description, file, line(document), priority, match, window, stages, dryRun));
        }

        private Optional<MatchSpec> match(Node node, String path) {
            Optional<Fields> parsed =
                    fields(node, path, Set.of("sources", "rules", "minSeverity", "when"), Set.of("rules"));
            if (parsed.isEmpty()) {
                return Optional.empty();
            }
            Fields match = parsed.get();
            int errorsBefore = errorCount();
            Set<Source> sources = EnumSet.noneOf(Source.class);
            match.node("sources")
                    .ifPresent(list -> eachString(
                            list,
                            path + ".sources",
                            (item, itemPath, value) -> Source.fromWireName(value)
                                    .ifPresentOrElse(
                                            sources::add,
                                            () -> error(
                                                    line(item),
                                                    itemPath,
                                                    "unknown source \""
                                                            + value
                                                            + "\"; one of "
                                                            + Arrays.stream(Source.values())
                                                                    .map(Source::wireName)
                                                                    .toList()))));
            List<RuleGlob> rules = new ArrayList<>();
            match.node("rules").ifPresent(list -> {
                eachString(list, path + ".rules", (item, itemPath, value) -> {
                    if (value.isBlank()) {
                        error(line(item), itemPath, "must not be empty; use \"*\" for any rule");
                    } else {
                        rules.add(RuleGlob.of(value));
                    }
                });
                if (list instanceof SequenceNode sequence && sequence.getValue().isEmpty()) {
                    error(line(list), path + ".rules", "must list at least one rule (\"*\" for any)");
                }
            });
            Severity minSeverity = match.node("minSeverity")
                    .flatMap(severity -> string(severity, path + ".minSeverity").flatMap(value -> {
                        Optional<Severity> parsedSeverity = Severity.fromWireName(value);
                        if (parsedSeverity.isEmpty()) {
                            error(
                                    line(severity),
                                    path + ".minSeverity",
                                    "unknown severity \""
                                            + value
                                            + "\"; one of "
                                            + Arrays.stream(Severity.values())
                                                    .map(Severity::wireName)
                                                    .toList());
                        }
                        return parsedSeverity;
                    }))
                    .orElse(Severity.INFO);
            Condition when = match.node("when")
                    .flatMap(expression -> condition(expression, path + ".when", false))
                    .orElse(null);
            if (errorCount() > errorsBefore) {
                return Optional.empty();
            }
            return Optional.of(new MatchSpec(sources, rules, minSeverity, when));
        }

        private List<Stage> stages(Node node, String path) {
            if (!(node instanceof SequenceNode sequence)) {
                error(line(node), path, "must be a list of stages");
                return List.of();
            }
            if (sequence.getValue().isEmpty()) {
                error(line(node), path, "must have at least one stage");
                return List.of();
            }
            List<Stage> stages = new ArrayList<>();
            Map<String, Stage> byName = new LinkedHashMap<>();
            for (int i = 0; i < sequence.getValue().size(); i++) {
                String stagePath = path + "[" + i + "]";
                Node item = sequence.getValue().get(i);
                stage(item, stagePath).ifPresent(stage -> {
                    Stage earlier = byName.putIfAbsent(stage.name(), stage);
                    if (earlier != null) {
                        error(
                                stage.line(),
                                stagePath + ".name",
                                "duplicate stage name \"" + stage.name() + "\" (also at line " + earlier.line() + ")");
                    }
                    stages.add(stage);
                });
            }
            checkLadder(stages, path);
            return stages;
        }

        /**
         * The last stage whose conditions hold runs. A stage followed by one that holds whenever it
         * holds (same or lower {@code after}, no {@code when}) can never run: that is a mistake.
         */
        private void checkLadder(List<Stage> stages, String path) {
            for (int i = 0; i < stages.size(); i++) {
                for (int j = i + 1; j < stages.size(); j++) {
                    Stage earlier = stages.get(i);
                    Stage later = stages.get(j);
                    boolean laterAlwaysHoldsToo = later.after() <= earlier.after()
                            && later.when() == null
                            && (!later.action().needsConnection()
                                    || earlier.action().needsConnection());
                    if (laterAlwaysHoldsToo) {
                        error(
                                earlier.line(),
                                path + "[" + i + "]",
                                "stage \""
                                        + earlier.name()
                                        + "\" can never run: stage \""
                                        + later.name()
                                        + "\" after it holds whenever it does (the last stage that holds runs)");
                        break;
                    }
                }
                if (i > 0 && stages.get(i).after() < stages.get(i - 1).after()) {
                    warning(
                            stages.get(i).line(),
                            path + "[" + i + "].after",
                            "stages are usually ordered by increasing \"after\"");
                }
            }
        }

        private Optional<Stage> stage(Node node, String path) {
            Optional<Fields> parsed = fields(
                    node,
                    path,
                    Set.of(
                            "name",
                            "after",
                            "when",
                            "action",
                            "params",
                            "approval",
                            "approvalTimeout",
                            "onApprovalTimeout",
                            "expireAfter"),
                    Set.of("name", "action"));
            if (parsed.isEmpty()) {
                return Optional.empty();
            }
            Fields stage = parsed.get();
            int errorsBefore = errorCount();
            String name = text(stage, "name")
                    .filter(value -> validName(stage, "name", value))
                    .orElse(null);
            int after = stage.node("after")
                    .flatMap(value -> integer(value, path + ".after", 1, 1_000_000))
                    .orElse(1);
            Condition when = stage.node("when")
                    .flatMap(value -> condition(value, path + ".when", true))
                    .orElse(null);
            ActionKind action = stage.node("action")
                    .flatMap(value -> string(value, path + ".action").flatMap(wire -> {
                        Optional<ActionKind> kind = ActionKind.fromWireName(wire);
                        if (kind.isEmpty()) {
                            error(
                                    line(value),
                                    path + ".action",
                                    "unknown action \""
                                            + wire
                                            + "\""
                                            + suggestion(
                                                    wire,
                                                    Arrays.stream(ActionKind.values())
                                                            .map(ActionKind::wireName)
                                                            .toList()));
                        }
                        return kind;
                    }))
                    .orElse(null);
            Map<String, Object> params = action == null
                    ? Map.of()
                    : stage.node("params")
                            .map(value -> params(value, path + ".params", action))
                            .orElse(Map.of());
            Approval approval = stage.node("approval")
                    .flatMap(value -> enumValue(value, path + ".approval", Approval.class))
                    .orElse(Approval.REQUIRED);
            Duration approvalTimeout = stage.node("approvalTimeout")
                    .flatMap(value -> positiveDuration(value, path + ".approvalTimeout"))
                    .orElse(null);
            OnApprovalTimeout onTimeout = stage.node("onApprovalTimeout")
                    .flatMap(value -> enumValue(value, path + ".onApprovalTimeout", OnApprovalTimeout.class))
                    .orElse(OnApprovalTimeout.REJECT);
            Duration expireAfter = stage.node("expireAfter")
                    .flatMap(value -> positiveDuration(value, path + ".expireAfter"))
                    .orElse(null);

            if (approval == Approval.AUTO) {
                for (String field : List.of("approvalTimeout", "onApprovalTimeout")) {
                    if (stage.has(field)) {
                        error(stage.line(field), path + "." + field, "applies only to stages with approval: required");
                    }
                }
            } else if (approvalTimeout == null) {
                approvalTimeout = DEFAULT_APPROVAL_TIMEOUT;
            }
            if (onTimeout == OnApprovalTimeout.APPROVE && approval == Approval.REQUIRED) {
                warning(
                        stage.line("onApprovalTimeout"),
                        path + ".onApprovalTimeout",
                        "approves by silence: the action runs when nobody answers in time");
            }
            if (action == ActionKind.REVOKE_TOKEN
                    && Boolean.TRUE.equals(params.get("rotateServiceAccount"))
                    && expireAfter != null) {
                warning(
                        stage.line("expireAfter"),
                        path + ".expireAfter",
                        "recreating the ServiceAccount cannot be undone; expiry restores only the bindings"
                                + " (the old account's token secrets are gone with it)");
            }
            if (errorCount() > errorsBefore || name == null || action == null) {
                return Optional.empty();
            }
            return Optional.of(new Stage(
                    name, line(node), after, when, action, params, approval, approvalTimeout, onTimeout, expireAfter));
        }

        private Map<String, Object> params(Node node, String path, ActionKind action) {
            if (!(node instanceof MappingNode mapping)) {
                error(line(node), path, "must be a mapping of parameter names to values");
                return Map.of();
            }
            Map<String, Object> params = new LinkedHashMap<>();
            Map<String, Integer> seen = new LinkedHashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                Optional<String> key = string(tuple.getKeyNode(), path);
                if (key.isEmpty()) {
                    continue;
                }
                String paramPath = path + "." + key.get();
                Integer first = seen.putIfAbsent(key.get(), line(tuple.getKeyNode()));
                if (first != null) {
                    error(line(tuple.getKeyNode()), paramPath, "duplicate parameter (first at line " + first + ")");
                    continue;
                }
                Optional<ParamSpec> spec = action.param(key.get());
                if (spec.isEmpty()) {
                    List<String> known =
                            action.params().stream().map(ParamSpec::name).toList();
                    error(
                            line(tuple.getKeyNode()),
                            paramPath,
                            "unknown parameter for "
                                    + action.wireName()
                                    + (known.isEmpty() ? "; it takes none" : suggestion(key.get(), known)));
                    continue;
                }
                Node value = tuple.getValueNode();
                switch (spec.get().type()) {
                    case BOOLEAN -> bool(value, paramPath).ifPresent(v -> params.put(key.get(), v));
                    case ENUM ->
                        string(value, paramPath).ifPresent(v -> {
                            if (spec.get().allowed().contains(v)) {
                                params.put(key.get(), v);
                            } else {
                                error(
                                        line(value),
                                        paramPath,
                                        "\"" + v + "\" is not one of "
                                                + spec.get().allowed());
                            }
                        });
                }
            }
            return params;
        }

        private Optional<Condition> condition(Node node, String path, boolean stage) {
            Optional<String> expression = string(node, path);
            if (expression.isEmpty()) {
                return Optional.empty();
            }
            Conditions.Compiled compiled =
                    stage ? conditions.compileStage(expression.get()) : conditions.compileMatch(expression.get());
            return switch (compiled) {
                case Conditions.Ok ok -> Optional.of(ok.condition());
                case Conditions.Failed failed -> {
                    // A block scalar (| or >) starts on the line after its indicator.
                    int first = line(node)
                            + (node instanceof ScalarNode scalar
                                            && scalar.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN
                                            && scalar.getScalarStyle() != DumperOptions.ScalarStyle.SINGLE_QUOTED
                                            && scalar.getScalarStyle() != DumperOptions.ScalarStyle.DOUBLE_QUOTED
                                    ? 1
                                    : 0);
                    for (Conditions.CompileError compileError : failed.errors()) {
                        error(first + compileError.line() - 1, path, "CEL: " + compileError.message());
                    }
                    yield Optional.empty();
                }
            };
        }

        private boolean validName(Fields fields, String key, String value) {
            // Names end up in labels, metrics and ledger keys: DNS-1123 labels.
            if (!KubernetesNames.isDns1123Label(value)) {
                error(
                        fields.line(key),
                        fields.path(key),
                        "\""
                                + value
                                + "\" is not a valid name: lower-case letters, digits and '-', starting and ending"
                                + " with a letter or digit, at most "
                                + KubernetesNames.MAX_LABEL_LENGTH
                                + " characters");
                return false;
            }
            return true;
        }

        // ---- typed scalar readers; each reports its own problem and returns empty on error ----

        private Optional<String> text(Fields fields, String key) {
            return fields.node(key).flatMap(node -> string(node, fields.path(key)));
        }

        /** A string; a number or boolean where a string belongs is refused rather than guessed. */
        Optional<String> string(Node node, String path) {
            if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.STR)) {
                return Optional.of(scalar.getValue());
            }
            if (node instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL)) {
                error(line(node), path, "must be a string; quote it: \"" + scalar.getValue() + "\"");
                return Optional.empty();
            }
            error(line(node), path, "must be a string");
            return Optional.empty();
        }

        /** Any scalar's text, for values with their own syntax (durations). */
        private Optional<String> scalarText(Node node, String path) {
            if (node instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL)) {
                return Optional.of(scalar.getValue());
            }
            error(line(node), path, "must be a single value");
            return Optional.empty();
        }

        /**
         * Only {@code true} and {@code false}: YAML 1.1 also reads yes/no/on/off as booleans, and a
         * {@code dryRun: no} that meant something else is too easy to get wrong.
         */
        private Optional<Boolean> bool(Node node, String path) {
            if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.BOOL)) {
                switch (scalar.getValue()) {
                    case "true" -> {
                        return Optional.of(true);
                    }
                    case "false" -> {
                        return Optional.of(false);
                    }
                    default -> {
                        // yes, no, on, off, True, ...: fall through to the error
                    }
                }
            }
            error(line(node), path, "must be true or false");
            return Optional.empty();
        }

        /** A decimal whole number: YAML 1.1 would read 010 as octal and 0x10 as hex. */
        private Optional<Integer> integer(Node node, String path, int min, int max) {
            if (node instanceof ScalarNode scalar
                    && scalar.getTag().equals(Tag.INT)
                    && DECIMAL.matcher(scalar.getValue()).matches()) {
                try {
                    int value = Integer.parseInt(scalar.getValue().replace("_", ""));
                    if (value >= min && value <= max) {
                        return Optional.of(value);
                    }
                } catch (NumberFormatException tooLarge) {
                    // reported below, with the range
                }
                error(line(node), path, "must be between " + min + " and " + max);
                return Optional.empty();
            }
            error(line(node), path, "must be a whole number");
            return Optional.empty();
        }

        private Optional<Duration> duration(Node node, String path) {
            return scalarText(node, path).flatMap(text -> {
                Optional<Duration> parsed = Durations.parse(text);
                if (parsed.isEmpty()) {
                    error(line(node), path, "\"" + text + "\" is not a duration; write e.g. 90s, 15m, 4h, 1h30m or 7d");
                }
                return parsed;
            });
        }

        private Optional<Duration> positiveDuration(Node node, String path) {
            return duration(node, path).filter(value -> {
                if (value.isZero()) {
                    error(line(node), path, "must be longer than zero");
                    return false;
                }
                return true;
            });
        }

        private <E extends Enum<E>> Optional<E> enumValue(Node node, String path, Class<E> type) {
            return string(node, path).flatMap(text -> {
                for (E constant : type.getEnumConstants()) {
                    if (constant.name().toLowerCase(java.util.Locale.ROOT).equals(text)) {
                        return Optional.of(constant);
                    }
                }
                error(
                        line(node),
                        path,
                        "\""
                                + text
                                + "\" is not one of "
                                + Arrays.stream(type.getEnumConstants())
                                        .map(c -> c.name().toLowerCase(java.util.Locale.ROOT))
                                        .toList());
                return Optional.empty();
            });
        }

        private interface ItemConsumer {
            void accept(Node item, String path, String value);
        }

        private void eachString(Node node, String path, ItemConsumer consumer) {
            if (!(node instanceof SequenceNode sequence)) {
                error(line(node), path, "must be a list");
                return;
            }
            for (int i = 0; i < sequence.getValue().size(); i++) {
                Node item = sequence.getValue().get(i);
                String itemPath = path + "[" + i + "]";
                string(item, itemPath).ifPresent(value -> consumer.accept(item, itemPath, value));
            }
        }

        /** A mapping's entries, checked against the allowed and required keys. */
        Optional<Fields> fields(Node node, String path, Set<String> allowed, Set<String> required) {
            if (!(node instanceof MappingNode mapping)) {
                error(line(node), path, "must be a mapping");
                return Optional.empty();
            }
            Map<String, NodeTuple> entries = new LinkedHashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                if (!(tuple.getKeyNode() instanceof ScalarNode key)) {
                    error(line(tuple.getKeyNode()), path, "keys must be plain strings");
                    continue;
                }
                String fieldPath = path.isEmpty() ? key.getValue() : path + "." + key.getValue();
                if (!allowed.contains(key.getValue())) {
                    error(
                            line(key),
                            fieldPath,
                            "unknown field"
                                    + suggestion(
                                            key.getValue(),
                                            allowed.stream().sorted().toList()));
                    continue;
                }
                NodeTuple earlier = entries.putIfAbsent(key.getValue(), tuple);
                if (earlier != null) {
                    error(line(key), fieldPath, "duplicate field (first at line " + line(earlier.getKeyNode()) + ")");
                }
            }
            for (String key : required.stream().sorted().toList()) {
                if (!entries.containsKey(key)) {
                    error(line(node), path.isEmpty() ? key : path + "." + key, "required field is missing");
                }
            }
            return Optional.of(new Fields(path, entries));
        }

        private int errorCount() {
            return (int) problems.stream().filter(Problem::isError).count();
        }
    }

    /** The entries of one mapping, by key, with their locations. */
    private record Fields(String path, Map<String, NodeTuple> entries) {
        Optional<Node> node(String key) {
            return Optional.ofNullable(entries.get(key)).map(NodeTuple::getValueNode);
        }

        boolean has(String key) {
            return entries.containsKey(key);
        }

        int line(String key) {
            NodeTuple tuple = entries.get(key);
            return tuple == null ? 1 : PlaybookParser.line(tuple.getKeyNode());
        }

        String path(String key) {
            return path.isEmpty() ? key : path + "." + key;
        }
    }

    static int line(Node node) {
        return node.getStartMark() == null ? 1 : node.getStartMark().getLine() + 1;
    }

    /**
     * {@code ; did you mean "x"?} when a known word is a few edits away, else {@code ; expected one
     * of "a", "b"}; nothing when nothing is known.
     */
    static String suggestion(String word, List<String> known) {
        return known.stream()
                .map(candidate -> Map.entry(
                        candidate,
                        // a shortened name ("quarantine") is as good a hint as a typo
                        candidate.startsWith(word) && word.length() >= 4 ? 1 : distance(word, candidate)))
                .filter(entry -> entry.getValue() <= Math.max(2, word.length() / 3))
                .min(Comparator.comparingInt(Map.Entry::getValue))
                .map(entry -> "; did you mean \"" + entry.getKey() + "\"?")
                .orElse(
                        known.isEmpty()
                                ? ""
                                : "; expected one of "
                                        + known.stream()
                                                .map(k -> "\"" + k + "\"")
                                                .collect(Collectors.joining(", ")));
    }

    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
