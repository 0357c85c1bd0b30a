package dev.stanch.action;

import dev.stanch.detection.Target;
import dev.stanch.netpol.Direction;
import dev.stanch.playbook.ActionKind;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An {@link ActionPlan} as plain JSON values: the form the ledger stores, what the executor runs
 * from after a restart or on another instance, and what the on-call engineer reads before approving.
 * One document for both, so that what was approved is what runs.
 *
 * <p>Lossless: {@link #read} gives back a plan equal to the one {@link #of} wrote. Every step and
 * undo step is a typed entry — {@code step} names its type, the other keys are the step's fields —
 * headed by a {@code do} line for people, which the reader ignores (it is the step's {@link
 * Step#describe()}); manifests and pre-images are full objects. {@code format} is the version of this
 * layout: a change that an older reader would misread raises it, and a reader refuses a format it
 * does not know.
 */
public final class PlanDocument {

    /** The format {@link #of} writes and {@link #read} reads. */
    public static final int FORMAT = 1;

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final String MALFORMED = "malformed plan document: ";

    /**
     * API groups of custom resources that a plan may hold (admin-tier and Cilium policies). The
     * cluster reader, the planners and the policy engine hold them as {@link
     * GenericKubernetesResource}; should fabric8 ever register a class for one, a manifest must still
     * come back as they expect it.
     */
    private static final Set<String> CUSTOM_RESOURCE_GROUPS = Set.of("policy.networking.k8s.io", "cilium.io");

    private PlanDocument() {}

    /** The step types, by the name the {@code step} key gives them. */
    private enum StepType {
        CREATE("create"),
        DELETE_OWNED("delete-owned"),
        RELABEL("relabel"),
        REMOVE_SUBJECTS("remove-subjects"),
        RESTORE_SUBJECTS("restore-subjects"),
        DELETE("delete"),
        RECREATE_SERVICE_ACCOUNT("recreate-service-account"),
        SYNC_BLOCK_POLICIES("sync-block-policies");

        final String wireName;

        StepType(String wireName) {
            this.wireName = wireName;
        }

        static @Nullable StepType of(String wireName) {
            return Arrays.stream(values())
                    .filter(type -> type.wireName.equals(wireName))
                    .findFirst()
                    .orElse(null);
        }

        static List<String> wireNames() {
            return Arrays.stream(values()).map(type -> type.wireName).toList();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Writing

    /** The plan's document: maps, lists and plain values, for the ledger's jsonb or for YAML. */
    public static Map<String, Object> of(ActionPlan plan) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("format", FORMAT);
        document.put("actionId", plan.actionId());
        document.put("kind", plan.kind().wireName());
        Map<String, Object> target = new OneLine();
        target.put("namespace", plan.target().namespace());
        target.put("pod", plan.target().pod());
        putIfNotNull(target, "container", plan.target().container());
        document.put("target", target);
        document.put("summary", plan.summary());
        document.put("params", new LinkedHashMap<>(plan.params()));
        document.put("steps", plan.steps().stream().map(PlanDocument::step).toList());
        document.put("undo", plan.undo().stream().map(PlanDocument::step).toList());
        document.put(
                "reversibility",
                plan.reversibility().stream()
                        .map(r -> {
                            Map<String, Object> entry = new LinkedHashMap<>();
                            entry.put("change", r.change());
                            entry.put("reversible", r.reversible());
                            entry.put("note", r.note());
                            return entry;
                        })
                        .toList());
        document.put("connectivityLost", plan.connectivityLost());
        if (!plan.connectivityRemaining().isEmpty()) {
            document.put("connectivityRemaining", plan.connectivityRemaining());
        }
        document.put("warnings", plan.warnings());
        document.put(
                "preImages", plan.preImages().stream().map(PlanDocument::asMap).toList());
        return document;
    }

    /**
     * The document as YAML, for people: in block style, as kubectl shows manifests, but for the small
     * objects that name something — the target, the object of a step, a subject — each on one line.
     */
    public static String yaml(ActionPlan plan) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setWidth(120);
        options.setSplitLines(false);
        Representer representer = new Representer(options) {
            {
                representers.put(
                        OneLine.class,
                        data -> representMapping(Tag.MAP, (Map<?, ?>) data, DumperOptions.FlowStyle.FLOW));
            }
        };
        return new Yaml(representer, options).dump(of(plan));
    }

    /** A small object that {@link #yaml} shows on one line; to everything else, a plain map. */
    private static final class OneLine extends LinkedHashMap<String, Object> {}

    private static Map<String, Object> step(Step step) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("do", step.describe());
        switch (step) {
            case Step.Create create -> {
                entry.put("step", StepType.CREATE.wireName);
                entry.put("manifest", asMap(create.manifest()));
            }
            case Step.DeleteOwned delete -> {
                entry.put("step", StepType.DELETE_OWNED.wireName);
                entry.put("object", ref(delete.object()));
                entry.put("actionId", delete.actionId());
            }
            case Step.Relabel relabel -> {
                entry.put("step", StepType.RELABEL.wireName);
                entry.put("object", ref(relabel.object()));
                // Sorted: the document is hashed and shown, and the step holds its keys in no order.
                putIfNotEmpty(entry, "setLabels", new TreeMap<>(relabel.setLabels()));
                putIfNotEmpty(entry, "removeLabels", new TreeSet<>(relabel.removeLabels()));
                putIfNotEmpty(entry, "setAnnotations", new TreeMap<>(relabel.setAnnotations()));
                putIfNotEmpty(entry, "removeAnnotations", new TreeSet<>(relabel.removeAnnotations()));
            }
            case Step.RemoveSubjects remove -> {
                entry.put("step", StepType.REMOVE_SUBJECTS.wireName);
                entry.put("object", ref(remove.object()));
                entry.put("subjects", subjects(remove.subjects()));
            }
            case Step.RestoreSubjects restore -> {
                entry.put("step", StepType.RESTORE_SUBJECTS.wireName);
                entry.put("object", ref(restore.object()));
                entry.put("subjects", subjects(restore.subjects()));
                entry.put("positions", restore.positions());
            }
            case Step.Delete delete -> {
                entry.put("step", StepType.DELETE.wireName);
                entry.put("object", ref(delete.object()));
                entry.put("uid", delete.uid());
                entry.put("why", delete.why());
            }
            case Step.RecreateServiceAccount recreate -> {
                entry.put("step", StepType.RECREATE_SERVICE_ACCOUNT.wireName);
                entry.put("object", ref(recreate.object()));
                entry.put("uid", recreate.uid());
                entry.put("replacement", asMap(recreate.replacement()));
            }
            case Step.SyncBlockPolicies sync -> {
                entry.put("step", StepType.SYNC_BLOCK_POLICIES.wireName);
                entry.put("object", ref(sync.object()));
                entry.put("podUid", sync.podUid());
                entry.put("direction", sync.direction().word());
            }
        }
        return entry;
    }

    private static Map<String, Object> ref(ObjectRef ref) {
        Map<String, Object> entry = new OneLine();
        entry.put("apiVersion", ref.apiVersion());
        entry.put("kind", ref.kind());
        putIfNotNull(entry, "namespace", ref.namespace());
        entry.put("name", ref.name());
        return entry;
    }

    private static List<Map<String, Object>> subjects(List<Subject> subjects) {
        return subjects.stream()
                .map(subject -> {
                    Map<String, Object> entry = new OneLine();
                    entry.putAll(asMap(subject));
                    return entry;
                })
                .toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object model) {
        return SERIALIZATION.convertValue(model, Map.class);
    }

    private static void putIfNotNull(Map<String, Object> entry, String key, @Nullable Object value) {
        if (value != null) {
            entry.put(key, value);
        }
    }

    private static void putIfNotEmpty(Map<String, Object> entry, String key, Map<String, String> value) {
        if (!value.isEmpty()) {
            entry.put(key, value);
        }
    }

    private static void putIfNotEmpty(Map<String, Object> entry, String key, Set<String> value) {
        if (!value.isEmpty()) {
            entry.put(key, List.copyOf(value));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Reading

    /**
     * The plan a document describes, as {@link #read(Map)}; the tree as Jackson parsed it from JSON.
     *
     * @throws IllegalArgumentException when the document is malformed, naming the field
     */
    public static ActionPlan read(JsonNode document) {
        return read(Fields.root(JSON.treeToValue(document, Object.class)));
    }

    /**
     * The plan a document of plain values describes (maps, lists, strings, numbers, booleans).
     * Numbers come back as the planners hold them: an integer as {@code Integer} where it fits (ports,
     * priorities — as fabric8 reads them too), else {@code Long}; other numbers as {@code Double}. A
     * JSON document does not tell an {@code int} from a {@code long}, so a plan that held a small
     * {@code Long} would come back with an {@code Integer}.
     *
     * @throws IllegalArgumentException when the document is malformed, naming the field, e.g. {@code
     *     steps[1].manifest.kind is missing}
     */
    public static ActionPlan read(Map<String, Object> document) {
        return read(Fields.root(document));
    }

    private static ActionPlan read(Fields document) {
        Object format = document.required("format");
        if (!(format instanceof Integer version)) {
            throw document.wrongType("format", "an integer");
        }
        if (version != FORMAT) {
            throw malformed("format " + version + " is not one this Stanch reads (" + FORMAT + ")");
        }
        String kindName = document.string("kind");
        ActionKind kind = ActionKind.fromWireName(kindName)
                .orElseThrow(() -> malformed("kind: no action kind is named '" + kindName + "'"));
        Fields target = document.object("target");
        String namespace = target.string("namespace");
        String podName = target.string("pod");
        String container = target.optionalString("container");
        Target pod;
        try {
            pod = new Target(namespace, podName, container);
        } catch (IllegalArgumentException e) {
            // Target names the field first: "pod: not a valid pod name …".
            throw malformed(target.at(e.getMessage()));
        }
        List<Reversibility> reversibility = document.objects("reversibility").stream()
                .map(entry -> new Reversibility(entry.string("change"), entry.bool("reversible"), entry.string("note")))
                .toList();
        return new ActionPlan(
                document.string("actionId"),
                kind,
                pod,
                document.object("params").values(),
                document.string("summary"),
                document.objects("steps").stream().map(PlanDocument::step).toList(),
                document.objects("undo").stream().map(PlanDocument::step).toList(),
                document.objects("preImages").stream()
                        .map(PlanDocument::manifest)
                        .toList(),
                reversibility,
                document.strings("connectivityLost"),
                document.has("connectivityRemaining") ? document.strings("connectivityRemaining") : List.of(),
                document.strings("warnings"));
    }

    private static Step step(Fields entry) {
        String name = entry.string("step");
        StepType type = StepType.of(name);
        if (type == null) {
            throw malformed(entry.at("step") + ": no step type is named '" + name + "' (one of "
                    + String.join(", ", StepType.wireNames()) + ")");
        }
        return switch (type) {
            case CREATE -> new Step.Create(manifest(entry.object("manifest")));
            case DELETE_OWNED -> new Step.DeleteOwned(ref(entry.object("object")), entry.string("actionId"));
            case RELABEL ->
                new Step.Relabel(
                        ref(entry.object("object")),
                        entry.stringMap("setLabels"),
                        Set.copyOf(entry.optionalStrings("removeLabels")),
                        entry.stringMap("setAnnotations"),
                        Set.copyOf(entry.optionalStrings("removeAnnotations")));
            case REMOVE_SUBJECTS -> new Step.RemoveSubjects(ref(entry.object("object")), subjects(entry));
            case RESTORE_SUBJECTS -> {
                List<Subject> subjects = subjects(entry);
                List<Integer> positions = entry.list("positions", Fields::position);
                if (positions.size() != subjects.size()) {
                    throw malformed(entry.at("positions") + " must hold one position per subject: " + positions.size()
                            + " for " + subjects.size());
                }
                yield new Step.RestoreSubjects(ref(entry.object("object")), subjects, positions);
            }
            case DELETE -> new Step.Delete(ref(entry.object("object")), entry.string("uid"), entry.string("why"));
            case RECREATE_SERVICE_ACCOUNT -> {
                HasMetadata replacement = manifest(entry.object("replacement"));
                if (!(replacement instanceof ServiceAccount account)) {
                    throw malformed(entry.at("replacement") + " must be a v1 ServiceAccount, not "
                            + replacement.getApiVersion() + " " + replacement.getKind());
                }
                yield new Step.RecreateServiceAccount(ref(entry.object("object")), entry.string("uid"), account);
            }
            case SYNC_BLOCK_POLICIES -> {
                String direction = entry.string("direction");
                Direction parsed = Arrays.stream(Direction.values())
                        .filter(d -> d.word().equals(direction))
                        .findFirst()
                        .orElseThrow(() -> malformed(
                                entry.at("direction") + " must be egress or ingress, not '" + direction + "'"));
                yield new Step.SyncBlockPolicies(ref(entry.object("object")), entry.string("podUid"), parsed);
            }
        };
    }

    private static ObjectRef ref(Fields ref) {
        return new ObjectRef(
                ref.string("apiVersion"), ref.string("kind"), ref.optionalString("namespace"), ref.string("name"));
    }

    private static List<Subject> subjects(Fields entry) {
        return entry.list("subjects", (subject, path) -> {
            Fields fields = Fields.object(subject, path);
            fields.string("kind");
            fields.string("name");
            return convert(fields, Subject.class, "an RBAC subject");
        });
    }

    private static HasMetadata manifest(Fields manifest) {
        String apiVersion = manifest.string("apiVersion");
        String kind = manifest.string("kind");
        manifest.object("metadata").string("name");
        Class<? extends HasMetadata> type =
                modelClass(apiVersion, SERIALIZATION.getRegisteredKubernetesResource(apiVersion, kind));
        return convert(manifest, type, "a " + apiVersion + " " + kind);
    }

    /**
     * The class a manifest comes back as: the one fabric8 registers for exactly its apiVersion and
     * kind — as the rest of Stanch holds built-in kinds — else, for a custom resource, a {@link
     * GenericKubernetesResource}, which keeps both. The admin-tier and Cilium policies are always
     * generic, whatever fabric8 registers for them.
     */
    static Class<? extends HasMetadata> modelClass(
            String apiVersion, @Nullable Class<? extends KubernetesResource> registered) {
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        return registered != null
                        && HasMetadata.class.isAssignableFrom(registered)
                        && !CUSTOM_RESOURCE_GROUPS.contains(group)
                ? registered.asSubclass(HasMetadata.class)
                : GenericKubernetesResource.class;
    }

    private static <T> T convert(Fields fields, Class<T> type, String what) {
        try {
            return SERIALIZATION.convertValue(fields.values(), type);
        } catch (JacksonException | IllegalArgumentException e) {
            throw malformed(fields.path() + " is not " + what + ": "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static IllegalArgumentException malformed(String message) {
        return new IllegalArgumentException(MALFORMED + message);
    }

    /**
     * One JSON object of a document being read, and where it is ({@code steps[2].manifest}), so that
     * every error names the field. Its values are plain, numbers normalized as {@link #read(Map)} says.
     */
    private record Fields(String path, Map<String, Object> values) {

        static Fields root(@Nullable Object document) {
            if (!(document instanceof Map<?, ?>)) {
                throw malformed("a plan document must be an object, not " + describeValue(document));
            }
            return object(plain(document), "");
        }

        @SuppressWarnings("unchecked")
        static Fields object(@Nullable Object value, String path) {
            if (!(value instanceof Map<?, ?> map)) {
                throw malformed(path + " must be an object, not " + describeValue(value));
            }
            return new Fields(path, (Map<String, Object>) map);
        }

        String at(String key) {
            return path.isEmpty() ? key : path + "." + key;
        }

        boolean has(String key) {
            return values.get(key) != null;
        }

        Object required(String key) {
            Object value = values.get(key);
            if (value == null) {
                throw malformed(at(key) + " is missing");
            }
            return value;
        }

        IllegalArgumentException wrongType(String key, String expected) {
            return malformed(at(key) + " must be " + expected + ", not " + describeValue(values.get(key)));
        }

        String string(String key) {
            if (!(required(key) instanceof String value)) {
                throw wrongType(key, "a string");
            }
            return value;
        }

        @Nullable
        String optionalString(String key) {
            return has(key) ? string(key) : null;
        }

        boolean bool(String key) {
            if (!(required(key) instanceof Boolean value)) {
                throw wrongType(key, "true or false");
            }
            return value;
        }

        Fields object(String key) {
            return object(required(key), at(key));
        }

        List<Fields> objects(String key) {
            return list(key, Fields::object);
        }

        List<String> strings(String key) {
            return list(key, (value, path) -> {
                if (!(value instanceof String string)) {
                    throw malformed(path + " must be a string, not " + describeValue(value));
                }
                return string;
            });
        }

        List<String> optionalStrings(String key) {
            return has(key) ? strings(key) : List.of();
        }

        Map<String, String> stringMap(String key) {
            if (!has(key)) {
                return Map.of();
            }
            Map<String, String> map = new LinkedHashMap<>();
            object(key).values().forEach((name, value) -> {
                if (!(value instanceof String string)) {
                    throw malformed(at(key) + "." + name + " must be a string, not " + describeValue(value));
                }
                map.put(name, string);
            });
            return map;
        }

        /** A required array, each element read by {@code element} with its path. */
        <T> List<T> list(String key, ElementReader<T> element) {
            if (!(required(key) instanceof List<?> list)) {
                throw wrongType(key, "an array");
            }
            List<T> read = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                read.add(element.read(list.get(i), at(key) + "[" + i + "]"));
            }
            return read;
        }

        static Integer position(@Nullable Object value, String path) {
            if (!(value instanceof Integer position) || position < 0) {
                throw malformed(path + " must be a position (an integer ≥ 0), not " + describeValue(value));
            }
            return position;
        }
    }

    @FunctionalInterface
    private interface ElementReader<T> {
        T read(@Nullable Object value, String path);
    }

    /** The value with every number as {@link #read(Map)} promises, maps and lists copied. */
    private static @Nullable Object plain(@Nullable Object value) {
        return switch (value) {
            case Map<?, ?> map -> {
                Map<String, Object> copy = new LinkedHashMap<>();
                map.forEach((key, entry) -> copy.put(String.valueOf(key), plain(entry)));
                yield copy;
            }
            case List<?> list -> {
                List<Object> copy = new ArrayList<>(list.size());
                list.forEach(entry -> copy.add(plain(entry)));
                yield copy;
            }
            case Long number when number == number.intValue() -> number.intValue();
            case BigInteger number when number.bitLength() < 32 -> number.intValue();
            case BigInteger number when number.bitLength() < 64 -> number.longValue();
            case Short number -> number.intValue();
            case Byte number -> number.intValue();
            case Float number -> number.doubleValue();
            case BigDecimal number -> number.doubleValue();
            case null, default -> value;
        };
    }

    /** A value as an error message names it: {@code the string "yes"}, {@code the number -1}, {@code an array}. */
    private static String describeValue(@Nullable Object value) {
        return switch (value) {
            case null -> "null";
            case String string ->
                "the string \"" + (string.length() > 40 ? string.substring(0, 40) + "…" : string) + "\"";
            case Boolean bool -> bool.toString();
            case Number number -> "the number " + number;
            case List<?> list -> "an array";
            case Map<?, ?> map -> "an object";
            default -> value.getClass().getSimpleName();
        };
    }
}
