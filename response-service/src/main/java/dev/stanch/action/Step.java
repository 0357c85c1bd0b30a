package dev.stanch.action;

import dev.stanch.netpol.Direction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One change to the cluster, as a plan lists it and the executor carries it out. Every step is
 * idempotent: carried out twice, the second time changes nothing; a step whose object is already
 * as wanted does nothing at all.
 */
public sealed interface Step {

    /** The object the step changes. */
    ObjectRef object();

    /** One line for people: what the step does. */
    String describe();

    /**
     * Creates an object that Stanch owns. Done already when an object of that name carries the same
     * {@link StanchLabels#ACTION_ID}; any other object of that name is a conflict.
     *
     * @param manifest the full object, as a person can read it
     */
    record Create(HasMetadata manifest) implements Step {
        public Create {
            Objects.requireNonNull(manifest, "manifest");
        }

        @Override
        public ObjectRef object() {
            return ObjectRef.of(manifest);
        }

        @Override
        public String describe() {
            return "create " + object();
        }
    }

    /**
     * Deletes an object that Stanch created for this action; done already when it is gone. An object
     * of that name without the action's label is left alone (a conflict).
     *
     * @param object the object
     * @param actionId the action whose label it must carry
     */
    record DeleteOwned(ObjectRef object, String actionId) implements Step {
        public DeleteOwned {
            Objects.requireNonNull(object, "object");
            Objects.requireNonNull(actionId, "actionId");
        }

        @Override
        public String describe() {
            return "delete " + object + " (created by this action)";
        }
    }

    /**
     * Sets and removes labels and annotations of an object, leaving every other key alone. The update
     * carries the object's resourceVersion, so a concurrent change makes it read again, not
     * overwrite.
     *
     * @param object the object
     * @param setLabels labels to set (added, or changed to these values)
     * @param removeLabels labels to remove
     * @param setAnnotations annotations to set
     * @param removeAnnotations annotations to remove
     */
    record Relabel(
            ObjectRef object,
            Map<String, String> setLabels,
            Set<String> removeLabels,
            Map<String, String> setAnnotations,
            Set<String> removeAnnotations)
            implements Step {
        public Relabel {
            Objects.requireNonNull(object, "object");
            setLabels = Map.copyOf(setLabels);
            removeLabels = Set.copyOf(removeLabels);
            setAnnotations = Map.copyOf(setAnnotations);
            removeAnnotations = Set.copyOf(removeAnnotations);
        }

        public static Relabel labels(ObjectRef object, Map<String, String> set, Set<String> remove) {
            return new Relabel(object, set, remove, Map.of(), Set.of());
        }

        /** The labels as this step leaves them; every other key kept. */
        public Map<String, String> labelsAfter(@Nullable Map<String, String> labels) {
            return after(labels, setLabels, removeLabels);
        }

        /** The annotations as this step leaves them; every other key kept. */
        public Map<String, String> annotationsAfter(@Nullable Map<String, String> annotations) {
            return after(annotations, setAnnotations, removeAnnotations);
        }

        private static Map<String, String> after(
                @Nullable Map<String, String> before, Map<String, String> set, Set<String> remove) {
            Map<String, String> result = new java.util.LinkedHashMap<>(before == null ? Map.of() : before);
            result.putAll(set);
            remove.forEach(result::remove);
            return result;
        }

        @Override
        public String describe() {
            StringBuilder text = new StringBuilder("relabel ").append(object).append(':');
            new java.util.TreeMap<>(setLabels)
                    .forEach((k, v) ->
                            text.append(" +label ").append(k).append('=').append(v));
            new java.util.TreeSet<>(removeLabels)
                    .forEach(k -> text.append(" -label ").append(k));
            new java.util.TreeSet<>(setAnnotations.keySet())
                    .forEach(k -> text.append(" +annotation ").append(k));
            new java.util.TreeSet<>(removeAnnotations)
                    .forEach(k -> text.append(" -annotation ").append(k));
            return text.toString();
        }
    }

    /**
     * Takes subjects out of a RoleBinding or ClusterRoleBinding, keeping the binding and every other
     * subject. The update carries the binding's resourceVersion (optimistic concurrency).
     *
     * @param object the binding
     * @param subjects the subjects to remove
     */
    record RemoveSubjects(ObjectRef object, List<Subject> subjects) implements Step {
        public RemoveSubjects {
            Objects.requireNonNull(object, "object");
            subjects = List.copyOf(subjects);
        }

        /** The binding's subjects after this step: the others, in their order. */
        public List<Subject> applyTo(@Nullable List<Subject> current) {
            List<Subject> kept = new java.util.ArrayList<>(current == null ? List.of() : current);
            kept.removeIf(this::names);
            return kept;
        }

        /** True when this step removes that subject (kind, name, namespace and API group alike). */
        public boolean names(Subject subject) {
            return subjects.stream().anyMatch(s -> Subjects.same(s, subject));
        }

        /** True when two subjects are the same: kind, name, namespace and API group. */
        public static boolean same(Subject a, Subject b) {
            return Subjects.same(a, b);
        }

        @Override
        public String describe() {
            return "remove " + Subjects.describe(subjects) + " from " + object;
        }
    }

    /**
     * Puts subjects back into a binding, each at the position it had (or at the end when the binding
     * has fewer subjects now); a subject that is there already is not added twice.
     *
     * @param object the binding
     * @param subjects the subjects, in their original order
     * @param positions each subject's index in the binding before it was removed
     */
    record RestoreSubjects(ObjectRef object, List<Subject> subjects, List<Integer> positions) implements Step {
        public RestoreSubjects {
            Objects.requireNonNull(object, "object");
            subjects = List.copyOf(subjects);
            positions = List.copyOf(positions);
            if (subjects.size() != positions.size()) {
                throw new IllegalArgumentException("one position per subject");
            }
        }

        /** The binding's subjects after this step: each missing one back at its old index. */
        public List<Subject> applyTo(@Nullable List<Subject> current) {
            List<Subject> restored = new java.util.ArrayList<>(current == null ? List.of() : current);
            for (int i = 0; i < subjects.size(); i++) {
                Subject subject = subjects.get(i);
                if (restored.stream().noneMatch(s -> Subjects.same(s, subject))) {
                    restored.add(Math.min(positions.get(i), restored.size()), subject);
                }
            }
            return restored;
        }

        @Override
        public String describe() {
            return "put " + Subjects.describe(subjects) + " back into " + object;
        }
    }

    /**
     * Deletes one object that Stanch does not own — exactly the one planned on (its uid), never a
     * newer object of the same name. Not reversible.
     *
     * @param object the object
     * @param uid the uid it had when planned
     * @param why why the deletion is needed, for the plan
     */
    record Delete(ObjectRef object, String uid, String why) implements Step {
        public Delete {
            Objects.requireNonNull(object, "object");
            Objects.requireNonNull(uid, "uid");
            Objects.requireNonNull(why, "why");
        }

        @Override
        public String describe() {
            return "delete " + object + " (" + why + "; not reversible)";
        }
    }

    /**
     * Deletes a ServiceAccount and creates it again with the same name: the new uid makes every token
     * bound to the old one fail. Done already when the account's uid is no longer {@code uid}. Not
     * reversible.
     *
     * @param object the ServiceAccount
     * @param uid the uid whose tokens must die
     * @param replacement the account to create (the old one's labels, annotations, image pull secrets
     *     and automount setting)
     */
    record RecreateServiceAccount(ObjectRef object, String uid, ServiceAccount replacement) implements Step {
        public RecreateServiceAccount {
            Objects.requireNonNull(object, "object");
            Objects.requireNonNull(uid, "uid");
            Objects.requireNonNull(replacement, "replacement");
        }

        @Override
        public String describe() {
            return "recreate " + object + " so that every token bound to uid " + uid + " fails (not reversible)";
        }
    }

    /**
     * Brings every block policy of one pod and direction to the same rules: everything is allowed
     * except the flows that those policies, together, cut. NetworkPolicies add up, so each block's
     * policy must leave out the other blocks' peers too; run after a block is added or removed.
     *
     * @param object the pod
     * @param podUid the pod's uid (the policies' {@link StanchLabels#POD_UID})
     * @param direction the direction of the policies
     */
    record SyncBlockPolicies(ObjectRef object, String podUid, Direction direction) implements Step {
        public SyncBlockPolicies {
            Objects.requireNonNull(object, "object");
            Objects.requireNonNull(podUid, "podUid");
            Objects.requireNonNull(direction, "direction");
        }

        @Override
        public String describe() {
            return "align the other " + direction.word() + " block policies of " + object
                    + " so that none allows what another cuts";
        }
    }
}
