package dev.stanch.playbook;

import java.util.List;

/**
 * What the playbooks say about one detection: act (one playbook, one stage, one action), or not,
 * and why each other playbook did not act.
 */
public sealed interface Decision {

    /** The playbooks whose match held, whatever was selected: each counts an occurrence. */
    List<String> matchedPlaybooks();

    /** Why each playbook that was not selected did not act. */
    List<Miss> misses();

    record Act(ActionRequest request, List<String> matchedPlaybooks, List<Miss> misses) implements Decision {
        public Act {
            matchedPlaybooks = List.copyOf(matchedPlaybooks);
            misses = List.copyOf(misses);
        }
    }

    record NoAction(List<String> matchedPlaybooks, List<Miss> misses) implements Decision {
        public NoAction {
            matchedPlaybooks = List.copyOf(matchedPlaybooks);
            misses = List.copyOf(misses);
        }
    }

    /** One playbook that did not act, and why. */
    record Miss(String playbook, String reason) {}
}
