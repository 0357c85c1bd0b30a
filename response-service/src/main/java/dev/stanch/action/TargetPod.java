package dev.stanch.action;

import io.fabric8.kubernetes.api.model.Pod;
import java.util.Map;
import java.util.Optional;

/**
 * The checks every kind makes before planning: the target names a pod that exists, outside the
 * protected namespaces, that is not Stanch itself. Names from a detection were validated as DNS-1123
 * when it was normalized; here they are only looked up, never put into a selector.
 */
final class TargetPod {

    private TargetPod() {}

    /** The pod, or why no action may touch it. */
    static Lookup find(PlanInput input, ClusterSnapshot cluster) {
        String namespace = input.namespace();
        String name = input.pod();
        if (input.safety().isProtected(namespace)) {
            return new Lookup(
                    null,
                    new Planning.Refused(
                            Refusal.PROTECTED,
                            "namespace " + namespace + " is protected: Stanch does not act on its pods"));
        }
        Optional<Pod> pod = cluster.pod(namespace, name);
        if (pod.isEmpty()) {
            return new Lookup(
                    null, new Planning.Refused(Refusal.NOT_FOUND, "pod " + namespace + "/" + name + " does not exist"));
        }
        Map<String, String> labels = pod.get().getMetadata().getLabels();
        if (input.safety().isOwnPod(labels)) {
            return new Lookup(
                    null,
                    new Planning.Refused(
                            Refusal.PROTECTED, "pod " + namespace + "/" + name + " is Stanch itself: never acted on"));
        }
        if (pod.get().getMetadata().getUid() == null) {
            return new Lookup(
                    null, new Planning.Refused(Refusal.NOT_FOUND, "pod " + namespace + "/" + name + " has no uid yet"));
        }
        return new Lookup(pod.get(), null);
    }

    /**
     * A pod, or the refusal.
     *
     * @param pod the pod, when found and allowed
     * @param refusal why not, otherwise
     */
    record Lookup(
            @org.jspecify.annotations.Nullable Pod pod, Planning.@org.jspecify.annotations.Nullable Refused refusal) {}

    static Map<String, String> labels(Pod pod) {
        return pod.getMetadata().getLabels() == null
                ? Map.of()
                : pod.getMetadata().getLabels();
    }
}
