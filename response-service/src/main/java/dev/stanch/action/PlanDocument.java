package dev.stanch.action;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * An {@link ActionPlan} as plain JSON/YAML values, for people and for storage: what the on-call
 * engineer reads before approving, with every created object as a full manifest.
 */
public final class PlanDocument {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private PlanDocument() {}

    public static Map<String, Object> of(ActionPlan plan) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("actionId", plan.actionId());
        document.put("kind", plan.kind().wireName());
        document.put("target", plan.target().namespace() + "/" + plan.target().pod());
        document.put("summary", plan.summary());
        document.put("params", plan.params());
        document.put("steps", plan.steps().stream().map(PlanDocument::step).toList());
        document.put("undo", plan.undo().stream().map(Step::describe).toList());
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
                "preImages",
                plan.preImages().stream().map(o -> ObjectRef.of(o).toString()).toList());
        return document;
    }

    /** The document as YAML, in block style, for people. */
    public static String yaml(ActionPlan plan) {
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        options.setWidth(120);
        options.setSplitLines(false);
        return new Yaml(options).dump(of(plan));
    }

    private static Map<String, Object> step(Step step) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("do", step.describe());
        switch (step) {
            case Step.Create create -> entry.put("manifest", manifest(create.manifest()));
            case Step.RecreateServiceAccount recreate -> entry.put("manifest", manifest(recreate.replacement()));
            default -> {}
        }
        return entry;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> manifest(HasMetadata object) {
        return SERIALIZATION.convertValue(object, Map.class);
    }
}
