package dev.stanch.action;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * What detaching a quarantined pod moves aside: every label that its Services and its controller
 * select on, so that it leaves their endpoints and its controller lets it go (and starts a
 * replacement) while the pod itself keeps running for forensics.
 *
 * @param moved the labels to move into {@link StanchLabels#DETACHED_LABELS}, with their values,
 *     sorted by key
 * @param services the Services that select the pod now, by name
 * @param owner the controller the pod leaves, when moving the labels makes its selector stop
 *     matching
 * @param notes what detaching cannot do here, for the plan's warnings
 */
record Detachment(
        Map<String, String> moved,
        List<Service> services,
        @Nullable PodOwner owner,
        List<String> notes) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    Detachment {
        moved = Collections.unmodifiableMap(new TreeMap<>(moved));
        services = List.copyOf(services);
        notes = List.copyOf(notes);
    }

    /**
     * The labels the pod's Services (by their selector) and its controller (matchLabels and
     * matchExpressions keys) select on. The quarantine label is never among them: a pod that carries
     * it was refused before anything is moved.
     */
    static Detachment of(Pod pod, ClusterSnapshot cluster, Optional<PodOwner> owner) {
        String namespace = pod.getMetadata().getNamespace();
        Map<String, String> labels = TargetPod.labels(pod);
        Set<String> keys = new TreeSet<>();
        List<String> notes = new ArrayList<>();
        List<Service> services = selectingServices(pod, cluster);
        services.forEach(service -> keys.addAll(service.getSpec().getSelector().keySet()));
        for (Service service : servicesOf(namespace, cluster)) {
            if (selector(service).isEmpty()) {
                notes.add("Service " + namespace + "/" + service.getMetadata().getName()
                        + " selects no pods by label (no selector): its endpoints are kept by hand or by"
                        + " another controller, so detaching cannot take the pod out of them");
            }
        }
        PodOwner leaves = null;
        if (owner.isPresent()) {
            String name = owner.get().describe(namespace);
            Optional<LabelSelector> selector = owner.get().selector();
            if (owner.get().workload() == null) {
                notes.add(name + " is not in the snapshot: its selector is unknown, so the pod may stay"
                        + " under its control");
            } else if (selector.isEmpty()) {
                notes.add(name + " selects on no label (no selector): there is nothing to move, and it"
                        + " keeps the pod");
            } else {
                LabelSelector ownerSelector = selector.get();
                if (ownerSelector.getMatchLabels() != null) {
                    keys.addAll(ownerSelector.getMatchLabels().keySet());
                }
                List<LabelSelectorRequirement> expressions =
                        ownerSelector.getMatchExpressions() == null ? List.of() : ownerSelector.getMatchExpressions();
                expressions.forEach(expression -> keys.add(expression.getKey()));
                if (stillSelectsWithoutItsKeys(ownerSelector)) {
                    notes.add(name + " selects only by NotIn and DoesNotExist, which a pod without those"
                            + " labels still matches: it keeps the pod");
                } else {
                    leaves = owner.get();
                }
            }
        }
        Map<String, String> moved = new TreeMap<>();
        keys.stream().filter(labels::containsKey).forEach(key -> moved.put(key, labels.get(key)));
        return new Detachment(moved, services, leaves, notes);
    }

    /** The Services of the pod's namespace whose selector matches its labels. */
    static List<Service> selectingServices(Pod pod, ClusterSnapshot cluster) {
        Map<String, String> labels = TargetPod.labels(pod);
        return servicesOf(pod.getMetadata().getNamespace(), cluster).stream()
                .filter(service -> !selector(service).isEmpty()
                        && labels.entrySet().containsAll(selector(service).entrySet()))
                .toList();
    }

    /** The annotation value: the moved labels as a JSON object with sorted keys. */
    String annotation() {
        return JSON.writeValueAsString(moved);
    }

    /** {@code Service shop/web, ReplicaSet shop/web-7d9f}: what the pod leaves. */
    List<String> leaves(String namespace) {
        List<String> names = new ArrayList<>();
        services.forEach(service ->
                names.add("Service " + namespace + "/" + service.getMetadata().getName()));
        if (owner != null) {
            names.add(owner.describe(namespace));
        }
        return names;
    }

    private static List<Service> servicesOf(String namespace, ClusterSnapshot cluster) {
        return cluster.services().stream()
                .filter(service -> namespace.equals(service.getMetadata().getNamespace()))
                .toList();
    }

    private static Map<String, String> selector(Service service) {
        return service.getSpec() == null || service.getSpec().getSelector() == null
                ? Map.of()
                : service.getSpec().getSelector();
    }

    /**
     * A selector whose every requirement still holds once the pod has none of its keys: no
     * matchLabels, and only NotIn and DoesNotExist, which match a pod without the key.
     */
    private static boolean stillSelectsWithoutItsKeys(LabelSelector selector) {
        return (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
                && selector.getMatchExpressions().stream()
                        .allMatch(expression -> "NotIn".equals(expression.getOperator())
                                || "DoesNotExist".equals(expression.getOperator()));
    }
}
