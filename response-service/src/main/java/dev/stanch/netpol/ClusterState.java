package dev.stanch.netpol;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ReplicationController;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A view of a cluster as the policy engine sees it: namespaces, pods (real ones, and one per
 * workload manifest standing for its pods), and the policies of every tier. Built from fabric8
 * model objects — as listed from a live cluster or read from manifests — and immutable; derive a
 * changed view ("after the action") with {@link #toBuilder()}.
 *
 * <p>Objects that the API server would reject are left out with a warning (see {@link
 * #warnings()}): they cannot exist in a real cluster, so guessing at them would mislead.
 */
public final class ClusterState {

    /** The label the API server puts on every namespace (1.21+); selectors rely on it. */
    static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    private final List<HasMetadata> objects;
    private final Map<String, Map<String, String>> namespaces;
    private final List<PodModel> pods;
    private final List<NetworkPolicyModel> networkPolicies;
    private final List<TieredPolicyModel> adminPolicies;
    private final List<TieredPolicyModel> ciliumPolicies;
    private final List<String> warnings;
    /** What each object was read as, by identity, for a derived view to reuse ({@link Builder#reusing}). */
    private final Map<HasMetadata, Object> parsed;

    private ClusterState(
            List<HasMetadata> objects,
            Map<String, Map<String, String>> namespaces,
            List<PodModel> pods,
            List<NetworkPolicyModel> networkPolicies,
            List<TieredPolicyModel> adminPolicies,
            List<TieredPolicyModel> ciliumPolicies,
            List<String> warnings,
            Map<HasMetadata, Object> parsed) {
        this.objects = List.copyOf(objects);
        this.parsed = parsed;
        this.namespaces = namespaces;
        this.pods = List.copyOf(pods);
        this.networkPolicies = List.copyOf(networkPolicies);
        this.adminPolicies = List.copyOf(adminPolicies);
        this.ciliumPolicies = List.copyOf(ciliumPolicies);
        this.warnings = List.copyOf(warnings);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static ClusterState of(Collection<? extends HasMetadata> objects) {
        return builder().addAll(objects).build();
    }

    /** A builder holding this state's objects, to add, replace or remove some (the "after"). */
    public Builder toBuilder() {
        return builder().reusing(this).addAll(objects);
    }

    /** The objects this state was built from. */
    public List<HasMetadata> objects() {
        return objects;
    }

    /** What was left out or cannot be modelled, one sentence each. */
    public List<String> warnings() {
        return warnings;
    }

    /** Declared namespaces and their labels (with the automatic name label). */
    Map<String, Map<String, String>> namespaces() {
        return namespaces;
    }

    List<PodModel> pods() {
        return pods;
    }

    /** Ordered by namespace and name, so that explanations list them predictably. */
    List<NetworkPolicyModel> networkPolicies() {
        return networkPolicies;
    }

    /** Admin tier first, then baseline; within a tier by priority, then kind and name. */
    List<TieredPolicyModel> adminPolicies() {
        return adminPolicies;
    }

    /**
     * The deny rules of Cilium's policies, one model per rule set, ordered by policy (their order
     * does not matter: every rule denies).
     */
    List<TieredPolicyModel> ciliumPolicies() {
        return ciliumPolicies;
    }

    /** Collects objects; later objects replace earlier ones of the same kind, namespace and name. */
    public static final class Builder {

        private final Map<ObjectKey, HasMetadata> objects = new LinkedHashMap<>();
        private Map<HasMetadata, Object> reuse = Map.of();

        private Builder() {}

        /**
         * Reads the objects that are the very instances (by identity) {@code previous} was built from
         * no more: the models it read them as are taken over. For deriving a view ("after an
         * action") from a snapshot of mostly the same objects, which then costs little more than the
         * objects that changed. The models depend on nothing but their object, so the result is the
         * same as reading everything again — provided the objects were not modified in place since,
         * which holds for snapshots: the API's objects are replaced, never edited.
         */
        public Builder reusing(ClusterState previous) {
            this.reuse = previous.parsed;
            return this;
        }

        /**
         * Adds an object, replacing one of the same kind, namespace and name.
         *
         * @throws IllegalArgumentException when the object has no name
         */
        public Builder add(HasMetadata object) {
            Objects.requireNonNull(object, "object");
            objects.put(ObjectKey.of(object), object);
            return this;
        }

        public Builder addAll(Collection<? extends HasMetadata> objects) {
            objects.forEach(this::add);
            return this;
        }

        /** Removes the object of this kind, namespace and name, if present. */
        public Builder remove(String kind, @Nullable String namespace, String name) {
            objects.remove(new ObjectKey(kind, ObjectKey.normalise(kind, namespace), name));
            return this;
        }

        public ClusterState build() {
            return new Assembler(List.copyOf(objects.values()), reuse).assemble();
        }
    }

    /**
     * Identifies an object for replacement.
     *
     * @param kind the object's kind
     * @param namespace its namespace, {@code default} when a namespaced object names none, {@code
     *     null} for cluster-scoped kinds
     * @param name its name
     */
    private record ObjectKey(String kind, @Nullable String namespace, String name) {

        static ObjectKey of(HasMetadata object) {
            ObjectMeta metadata = object.getMetadata();
            if (metadata == null
                    || metadata.getName() == null
                    || metadata.getName().isEmpty()) {
                throw new IllegalArgumentException("an object without metadata.name: " + object.getKind());
            }
            String kind = object.getKind() == null ? object.getClass().getSimpleName() : object.getKind();
            return new ObjectKey(kind, normalise(kind, metadata.getNamespace()), metadata.getName());
        }

        static @Nullable String normalise(String kind, @Nullable String namespace) {
            return switch (kind) {
                case "Namespace",
                        "AdminNetworkPolicy",
                        "BaselineAdminNetworkPolicy",
                        "ClusterNetworkPolicy",
                        "CiliumClusterwideNetworkPolicy" -> null;
                default -> PolicyReader.namespaceOf(namespace);
            };
        }
    }

    /** Turns objects into the engine's models; one instance per build. */
    private static final class Assembler {

        private final List<HasMetadata> objects;
        private final List<String> warnings = new ArrayList<>();
        private final Map<String, Map<String, String>> namespaces = new TreeMap<>();
        private final Map<WorkloadKey, Workload> workloads = new LinkedHashMap<>();
        private final List<PodModel> pods = new ArrayList<>();
        private final List<NetworkPolicyModel> networkPolicies = new ArrayList<>();
        private final List<TieredPolicyModel> adminPolicies = new ArrayList<>();
        private final List<TieredPolicyModel> ciliumPolicies = new ArrayList<>();
        private final Map<HasMetadata, Object> reuse;
        private final Map<HasMetadata, Object> parsed = new IdentityHashMap<>();

        Assembler(List<HasMetadata> objects, Map<HasMetadata, Object> reuse) {
            this.objects = objects;
            this.reuse = reuse;
        }

        ClusterState assemble() {
            List<Pod> realPods = new ArrayList<>();
            for (HasMetadata object : objects) {
                try {
                    switch (object) {
                        case Namespace namespace -> addNamespace(namespace);
                        case Pod pod -> realPods.add(pod);
                        case Deployment deployment ->
                            addWorkload(
                                    deployment,
                                    template(
                                            deployment.getSpec() == null
                                                    ? null
                                                    : deployment.getSpec().getTemplate()));
                        case ReplicaSet replicaSet ->
                            addWorkload(
                                    replicaSet,
                                    template(
                                            replicaSet.getSpec() == null
                                                    ? null
                                                    : replicaSet.getSpec().getTemplate()));
                        case StatefulSet statefulSet ->
                            addWorkload(
                                    statefulSet,
                                    template(
                                            statefulSet.getSpec() == null
                                                    ? null
                                                    : statefulSet.getSpec().getTemplate()));
                        case DaemonSet daemonSet ->
                            addWorkload(
                                    daemonSet,
                                    template(
                                            daemonSet.getSpec() == null
                                                    ? null
                                                    : daemonSet.getSpec().getTemplate()));
                        case ReplicationController controller ->
                            addWorkload(
                                    controller,
                                    template(
                                            controller.getSpec() == null
                                                    ? null
                                                    : controller.getSpec().getTemplate()));
                        case Job job ->
                            addWorkload(
                                    job,
                                    template(
                                            job.getSpec() == null
                                                    ? null
                                                    : job.getSpec().getTemplate()));
                        case CronJob cronJob ->
                            addWorkload(
                                    cronJob,
                                    template(
                                            cronJob.getSpec() == null
                                                            || cronJob.getSpec().getJobTemplate() == null
                                                            || cronJob.getSpec()
                                                                            .getJobTemplate()
                                                                            .getSpec()
                                                                    == null
                                                    ? null
                                                    : cronJob.getSpec()
                                                            .getJobTemplate()
                                                            .getSpec()
                                                            .getTemplate()));
                        case NetworkPolicy policy -> networkPolicies.add(networkPolicy(policy));
                        case GenericKubernetesResource resource -> addGeneric(resource);
                        default -> {
                            // Services, ConfigMaps and the like do not change who may talk to whom.
                        }
                    }
                } catch (InvalidResourceException e) {
                    warnings.add(describe(object) + ": " + e.getMessage() + "; skipped");
                }
            }
            addPods(realPods);
            networkPolicies.sort(Comparator.comparing(NetworkPolicyModel::namespace)
                    .thenComparing(policy -> policy.ref().name()));
            adminPolicies.sort(Comparator.comparing(TieredPolicyModel::tier)
                    .thenComparingInt(TieredPolicyModel::priority)
                    .thenComparing(policy -> policy.ref().kind())
                    .thenComparing(policy -> policy.ref().name()));
            warnAboutPriorityTies();
            ciliumPolicies.sort(Comparator.comparing(policy -> policy.ref().toString()));
            return new ClusterState(
                    objects, namespaces, pods, networkPolicies, adminPolicies, ciliumPolicies, warnings, parsed);
        }

        /** A NetworkPolicy read, or why it cannot be: read once per object. */
        private NetworkPolicyModel networkPolicy(NetworkPolicy policy) {
            Object read = reuse.get(policy);
            if (read == null) {
                try {
                    read = PolicyReader.networkPolicy(policy);
                } catch (InvalidResourceException e) {
                    read = e;
                }
            }
            parsed.put(policy, read);
            if (read instanceof InvalidResourceException e) {
                throw e;
            }
            return (NetworkPolicyModel) read;
        }

        /** What a pod's model takes from the pod alone (its owner depends on the other objects). */
        private PodParts podParts(Pod pod) {
            if (reuse.get(pod) instanceof PodParts parts) {
                parsed.put(pod, parts);
                return parts;
            }
            List<IpRange> addresses = new ArrayList<>();
            if (pod.getStatus() != null) {
                List<PodIP> podIps = pod.getStatus().getPodIPs();
                if (podIps != null && !podIps.isEmpty()) {
                    podIps.forEach(ip -> address(ip.getIp(), addresses));
                } else {
                    address(pod.getStatus().getPodIP(), addresses);
                }
            }
            List<String> portWarnings = new ArrayList<>();
            PodParts parts = new PodParts(
                    Map.copyOf(labels(pod.getMetadata())),
                    List.copyOf(ports(pod.getSpec(), describe(pod), portWarnings)),
                    List.copyOf(portWarnings),
                    List.copyOf(addresses));
            parsed.put(pod, parts);
            return parts;
        }

        private void addNamespace(Namespace namespace) {
            String name = namespace.getMetadata().getName();
            Map<String, String> labels = new LinkedHashMap<>(labels(namespace.getMetadata()));
            labels.put(NAMESPACE_NAME_LABEL, name);
            namespaces.put(name, Map.copyOf(labels));
        }

        private void addGeneric(GenericKubernetesResource resource) {
            if (PolicyReader.isAdminPolicy(resource.getApiVersion(), resource.getKind())) {
                adminPolicies.add(PolicyReader.adminPolicy(resource, warning -> warnings.add(warning)));
            } else if (CiliumPolicyReader.isCiliumPolicy(resource.getApiVersion(), resource.getKind())) {
                ciliumPolicies.addAll(CiliumPolicyReader.read(resource, warning -> warnings.add(warning)));
            } else {
                warnings.add(describe(resource)
                        + " ("
                        + resource.getApiVersion()
                        + "): not a kind the policy engine evaluates; ignored");
            }
        }

        private PodTemplateSpec template(@Nullable PodTemplateSpec template) {
            if (template == null) {
                throw new InvalidResourceException("no pod template");
            }
            return template;
        }

        private void addWorkload(HasMetadata workload, PodTemplateSpec template) {
            ObjectMeta metadata = workload.getMetadata();
            WorkloadKey key = new WorkloadKey(
                    PolicyReader.namespaceOf(metadata.getNamespace()), workload.getKind(), metadata.getName());
            PodModel.Owner owner = controller(metadata);
            if (owner != null && owner.kind().equals(key.kind()) && owner.name().equals(key.name())) {
                owner = null; // an object cannot own itself; treat the reference as absent
            }
            workloads.put(key, new Workload(key, owner, template));
        }

        /**
         * Real pods belong to the outermost owner the objects reveal (a pod's ReplicaSet, and that
         * ReplicaSet's Deployment when the ReplicaSet object is there too). A workload stands in with
         * its template only when no real pod of it is present and no present workload owns it.
         */
        private void addPods(List<Pod> realPods) {
            Set<WorkloadKey> covered = new HashSet<>();
            for (Pod pod : realPods) {
                ObjectMeta metadata = pod.getMetadata();
                String namespace = PolicyReader.namespaceOf(metadata.getNamespace());
                PodModel.Owner owner = controller(metadata);
                if (owner != null) {
                    owner = outermost(namespace, owner, covered);
                }
                if (terminated(pod)) {
                    // A finished pod has no network: it is no node, but its owner still has real pods, so
                    // the owner's template must not stand in for them.
                    continue;
                }
                PodParts parts = podParts(pod);
                warnings.addAll(parts.portWarnings());
                pods.add(new PodModel(
                        namespace, metadata.getName(), parts.labels(), parts.ports(), owner, parts.addresses(), false));
            }
            for (Workload workload : workloads.values()) {
                if (covered.contains(workload.key())) {
                    continue;
                }
                PodModel.Owner owner = workload.owner();
                if (owner != null
                        && workloads.containsKey(
                                new WorkloadKey(workload.key().namespace(), owner.kind(), owner.name()))) {
                    continue;
                }
                PodModel.Owner outermost = outermost(
                        workload.key().namespace(),
                        new PodModel.Owner(workload.key().kind(), workload.key().name()),
                        new HashSet<>());
                PodTemplateSpec template = workload.template();
                pods.add(new PodModel(
                        workload.key().namespace(),
                        workload.key().name(),
                        template.getMetadata() == null ? Map.of() : labels(template.getMetadata()),
                        ports(template.getSpec(), workload.key().toString(), warnings),
                        outermost,
                        List.of(),
                        true));
            }
        }

        private static boolean terminated(Pod pod) {
            String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
            return "Succeeded".equals(phase) || "Failed".equals(phase);
        }

        private PodModel.Owner outermost(String namespace, PodModel.Owner owner, Set<WorkloadKey> covered) {
            PodModel.Owner current = owner;
            // Owner chains are short (Pod → ReplicaSet → Deployment); the bound guards against cycles.
            for (int depth = 0; depth < 8; depth++) {
                WorkloadKey key = new WorkloadKey(namespace, current.kind(), current.name());
                covered.add(key);
                Workload workload = workloads.get(key);
                if (workload == null || workload.owner() == null) {
                    return current;
                }
                current = workload.owner();
            }
            return current;
        }

        private static void address(@Nullable String ip, List<IpRange> addresses) {
            if (ip == null || ip.isEmpty()) {
                return;
            }
            try {
                addresses.add(IpRange.address(ip));
            } catch (IllegalArgumentException e) {
                // A pod IP that does not parse only loses the pod its address; it is still a pod.
            }
        }

        private static List<PodModel.ContainerPort> ports(@Nullable PodSpec spec, String owner, List<String> warnings) {
            if (spec == null || spec.getContainers() == null) {
                return List.of();
            }
            List<PodModel.ContainerPort> ports = new ArrayList<>();
            for (Container container : spec.getContainers()) {
                if (container == null || container.getPorts() == null) {
                    continue;
                }
                for (io.fabric8.kubernetes.api.model.ContainerPort port : container.getPorts()) {
                    if (port == null || port.getContainerPort() == null) {
                        warnings.add(owner + ": a container port without containerPort; ignored");
                        continue;
                    }
                    try {
                        ports.add(new PodModel.ContainerPort(
                                port.getName() == null || port.getName().isEmpty() ? null : port.getName(),
                                Protocol.parse(port.getProtocol(), "ports"),
                                port.getContainerPort()));
                    } catch (InvalidResourceException e) {
                        warnings.add(owner + ": " + e.getMessage() + "; port ignored");
                    }
                }
            }
            return ports;
        }

        private void warnAboutPriorityTies() {
            for (int i = 1; i < adminPolicies.size(); i++) {
                TieredPolicyModel previous = adminPolicies.get(i - 1);
                TieredPolicyModel current = adminPolicies.get(i);
                if (previous.tier() == current.tier()
                        && previous.priority() == current.priority()
                        && current.priority() != Integer.MAX_VALUE) {
                    warnings.add(previous.ref()
                            + " and "
                            + current.ref()
                            + " share priority "
                            + current.priority()
                            + ": the API leaves their order undefined; evaluating them by name");
                }
            }
        }

        private static PodModel.@Nullable Owner controller(ObjectMeta metadata) {
            if (metadata.getOwnerReferences() == null) {
                return null;
            }
            for (OwnerReference reference : metadata.getOwnerReferences()) {
                if (reference != null && Boolean.TRUE.equals(reference.getController())) {
                    // Static pods are "owned" by their Node; they are pods of their own.
                    if ("Node".equals(reference.getKind()) || reference.getName() == null) {
                        return null;
                    }
                    // fabric8 reports the type name "OwnerReference" when the reference names no kind;
                    // np-guard then shows the owner as a Pod.
                    String kind = reference.getKind();
                    if (kind == null || kind.isEmpty() || kind.equals("OwnerReference")) {
                        kind = "Pod";
                    }
                    return new PodModel.Owner(kind, reference.getName());
                }
            }
            return null;
        }

        private static Map<String, String> labels(ObjectMeta metadata) {
            if (metadata.getLabels() == null) {
                return Map.of();
            }
            Map<String, String> labels = new LinkedHashMap<>();
            metadata.getLabels().forEach((key, value) -> {
                if (key != null && value != null) {
                    labels.put(key, value);
                }
            });
            return labels;
        }

        private static String describe(HasMetadata object) {
            ObjectMeta metadata = object.getMetadata();
            String kind = object.getKind() == null ? object.getClass().getSimpleName() : object.getKind();
            if (metadata == null) {
                return kind;
            }
            String namespace = ObjectKey.normalise(kind, metadata.getNamespace());
            return kind + " " + (namespace == null ? "" : namespace + "/") + metadata.getName();
        }
    }

    /**
     * What a pod's model takes from the pod object alone, kept for views derived from this one.
     *
     * @param labels its labels
     * @param ports its container ports
     * @param portWarnings what was wrong with its ports
     * @param addresses its addresses
     */
    private record PodParts(
            Map<String, String> labels,
            List<PodModel.ContainerPort> ports,
            List<String> portWarnings,
            List<IpRange> addresses) {}

    /**
     * Identifies a workload.
     *
     * @param namespace its namespace
     * @param kind its kind
     * @param name its name
     */
    private record WorkloadKey(String namespace, String kind, String name) {
        @Override
        public String toString() {
            return kind + " " + namespace + "/" + name;
        }
    }

    /**
     * A workload manifest.
     *
     * @param key who it is
     * @param owner the workload that controls it, if it names one
     * @param template its pod template
     */
    private record Workload(WorkloadKey key, PodModel.@Nullable Owner owner, PodTemplateSpec template) {}
}
