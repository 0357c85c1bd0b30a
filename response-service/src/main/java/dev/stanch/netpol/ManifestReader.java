package dev.stanch.netpol;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ReplicationController;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads Kubernetes manifests — every {@code .yaml}, {@code .yml} and {@code .json} file under a
 * directory, multi-document files and {@code List} kinds included — into fabric8 objects for a
 * {@link ClusterState}. Nothing in the input makes it fail: what it cannot use is skipped with a
 * warning that names the file and the document.
 */
public final class ManifestReader {

    private static final Set<String> EXTENSIONS = Set.of("yaml", "yml", "json");

    /** Built-in API groups whose other kinds (Service, ConfigMap, …) do not affect connectivity. */
    private static final Set<String> BUILT_IN_GROUPS =
            Set.of("", "apps", "batch", "extensions", "policy", "autoscaling");

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private final List<HasMetadata> objects = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();

    private ManifestReader() {}

    /**
     * What was read.
     *
     * @param objects the objects, in file order (files sorted by path)
     * @param warnings one line per skipped file, document or item
     */
    public record Manifests(List<HasMetadata> objects, List<String> warnings) {
        public Manifests {
            objects = List.copyOf(objects);
            warnings = List.copyOf(warnings);
        }
    }

    /**
     * Reads a directory (recursively) or a single file.
     *
     * @throws IOException when the directory itself cannot be listed
     */
    public static Manifests read(Path path) throws IOException {
        ManifestReader reader = new ManifestReader();
        if (Files.isDirectory(path)) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(path)) {
                files = walk.filter(Files::isRegularFile)
                        .filter(ManifestReader::isManifest)
                        .sorted()
                        .toList();
            }
            files.forEach(reader::readFile);
        } else {
            reader.readFile(path);
        }
        return new Manifests(reader.objects, reader.warnings);
    }

    private static boolean isManifest(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private void readFile(Path file) {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (CharacterCodingException e) {
            warnings.add(file + ": not UTF-8 text; skipped");
            return;
        } catch (IOException | UncheckedIOException e) {
            warnings.add(file + ": cannot be read (" + e.getMessage() + "); skipped");
            return;
        }
        readText(file, text);
    }

    /** Reads manifests held in memory; {@code name} stands for the file in warnings. */
    static Manifests read(String name, String text) {
        ManifestReader reader = new ManifestReader();
        reader.readText(Path.of(name), text);
        return new Manifests(reader.objects, reader.warnings);
    }

    private void readText(Path file, String text) {
        Iterator<Object> documents = yaml().loadAll(text).iterator();
        int number = 0;
        while (true) {
            number++;
            Object document;
            try {
                if (!documents.hasNext()) {
                    break;
                }
                document = documents.next();
            } catch (RuntimeException e) {
                // A syntax error leaves the parser lost: the rest of the file cannot be trusted.
                warnings.add(
                        file + ": document " + number + " and after: not valid YAML (" + firstLine(e) + "); skipped");
                break;
            }
            if (document != null) {
                readDocument(document, new Location(file, number, 0), null, null);
            }
        }
    }

    /**
     * Where an object came from.
     *
     * @param file the file
     * @param document the document within the file, from 1
     * @param item the item within a {@code List} document, from 1; 0 when not in a list
     */
    private record Location(Path file, int document, int item) {
        @Override
        public String toString() {
            return file + ": document " + document + (item > 0 ? " item " + item : "");
        }
    }

    private void readDocument(
            Object document, Location location, @Nullable String listApiVersion, @Nullable String listKind) {
        if (!(document instanceof Map<?, ?> raw)) {
            warnings.add(location + ": not a Kubernetes object; skipped");
            return;
        }
        Map<String, Object> map = new LinkedHashMap<>();
        raw.forEach((key, value) -> map.put(String.valueOf(key), value));
        // Items of typed lists (PodList, NamespaceList) often leave out their own kind and version.
        if (!map.containsKey("kind") && listKind != null) {
            map.put("kind", listKind);
        }
        if (!map.containsKey("apiVersion") && listApiVersion != null) {
            map.put("apiVersion", listApiVersion);
        }
        if (!(map.get("kind") instanceof String kind) || kind.isEmpty()) {
            warnings.add(location + ": no kind; skipped");
            return;
        }
        if (!(map.get("apiVersion") instanceof String apiVersion) || apiVersion.isEmpty()) {
            warnings.add(location + " (" + kind + "): no apiVersion; skipped");
            return;
        }
        if (kind.endsWith("List") && map.get("items") instanceof List<?> items) {
            String itemKind = kind.equals("List") ? null : kind.substring(0, kind.length() - 4);
            for (int i = 0; i < items.size(); i++) {
                Object item = items.get(i);
                Location itemLocation = new Location(location.file(), location.document(), i + 1);
                if (item == null) {
                    warnings.add(itemLocation + ": empty item; skipped");
                } else {
                    readDocument(item, itemLocation, itemKind == null ? null : apiVersion, itemKind);
                }
            }
            return;
        }
        Class<? extends HasMetadata> type = type(apiVersion, kind);
        String described = kind + " " + name(map);
        if (type == null) {
            if (!BUILT_IN_GROUPS.contains(group(apiVersion))
                    && !(group(apiVersion).endsWith(".k8s.io")
                            && !group(apiVersion).equals(PolicyReader.POLICY_GROUP))) {
                warnings.add(location
                        + " ("
                        + described
                        + "): "
                        + apiVersion
                        + " "
                        + kind
                        + " is not a kind the policy engine evaluates; skipped");
            }
            return;
        }
        if (!(map.get("metadata") instanceof Map<?, ?> metadata)
                || !(metadata.get("name") instanceof String name)
                || name.isEmpty()) {
            warnings.add(location + " (" + kind + "): no metadata.name; skipped");
            return;
        }
        HasMetadata object;
        try {
            object = SERIALIZATION.convertValue(map, type);
            validate(object);
        } catch (InvalidResourceException e) {
            warnings.add(location + " (" + described + "): " + e.getMessage() + "; skipped");
            return;
        } catch (RuntimeException e) {
            warnings.add(location + " (" + described + "): malformed (" + firstLine(e) + "); skipped");
            return;
        }
        objects.add(object);
    }

    /** Policies are checked here too, so that a rejected one is reported with its file. */
    private static void validate(HasMetadata object) {
        if (object instanceof NetworkPolicy policy) {
            PolicyReader.networkPolicy(policy);
        } else if (object instanceof GenericKubernetesResource resource) {
            if (CiliumPolicyReader.isCiliumPolicy(resource.getApiVersion(), resource.getKind())) {
                CiliumPolicyReader.read(resource, note -> {});
            } else {
                PolicyReader.adminPolicy(resource, note -> {});
            }
        }
    }

    private static @Nullable Class<? extends HasMetadata> type(String apiVersion, String kind) {
        String group = group(apiVersion);
        return switch (kind) {
            case "Namespace" -> group.isEmpty() ? Namespace.class : null;
            case "Pod" -> group.isEmpty() ? Pod.class : null;
            case "ReplicationController" -> group.isEmpty() ? ReplicationController.class : null;
            case "Deployment" -> apps(group) ? Deployment.class : null;
            case "ReplicaSet" -> apps(group) ? ReplicaSet.class : null;
            case "DaemonSet" -> apps(group) ? DaemonSet.class : null;
            case "StatefulSet" -> apps(group) ? StatefulSet.class : null;
            case "Job" -> group.equals("batch") ? Job.class : null;
            case "CronJob" -> group.equals("batch") ? CronJob.class : null;
            case "NetworkPolicy" ->
                group.equals("networking.k8s.io") || group.equals("extensions") ? NetworkPolicy.class : null;
            default ->
                PolicyReader.isAdminPolicy(apiVersion, kind) || CiliumPolicyReader.isCiliumPolicy(apiVersion, kind)
                        ? GenericKubernetesResource.class
                        : null;
        };
    }

    /** Old manifests still say extensions/v1beta1 or apps/v1beta2; the fields we read are alike. */
    private static boolean apps(String group) {
        return group.equals("apps") || group.equals("extensions");
    }

    private static String group(String apiVersion) {
        int slash = apiVersion.indexOf('/');
        return slash < 0 ? "" : apiVersion.substring(0, slash);
    }

    private static String name(Map<String, Object> map) {
        if (map.get("metadata") instanceof Map<?, ?> metadata) {
            Object name = metadata.get("name");
            Object namespace = metadata.get("namespace");
            if (name != null) {
                return namespace == null ? String.valueOf(name) : namespace + "/" + name;
            }
        }
        return "(unnamed)";
    }

    private static String firstLine(Throwable error) {
        String message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).strip();
    }

    /**
     * SnakeYAML set up for untrusted manifests: plain data types only, bounded aliases, and no
     * timestamp resolution (creationTimestamp stays the string Kubernetes wrote).
     */
    private static Yaml yaml() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(64 * 1024 * 1024);
        options.setMaxAliasesForCollections(100);
        options.setAllowDuplicateKeys(true);
        Resolver resolver = new Resolver() {
            @Override
            public void addImplicitResolver(
                    org.yaml.snakeyaml.nodes.Tag tag, java.util.regex.Pattern regexp, String first, int limit) {
                if (!org.yaml.snakeyaml.nodes.Tag.TIMESTAMP.equals(tag)) {
                    super.addImplicitResolver(tag, regexp, first, limit);
                }
            }
        };
        return new Yaml(
                new SafeConstructor(options),
                new Representer(new org.yaml.snakeyaml.DumperOptions()),
                new org.yaml.snakeyaml.DumperOptions(),
                options,
                resolver);
    }
}
