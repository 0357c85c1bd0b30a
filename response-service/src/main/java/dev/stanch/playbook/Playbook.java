package dev.stanch.playbook;

import java.time.Duration;
import java.util.List;

/**
 * A validated playbook: which detections it answers ({@link MatchSpec}), the window in which a
 * target's occurrences are counted, and the graduated stages.
 *
 * @param name unique across the loaded set
 * @param description what the playbook is for, for people
 * @param file the file it was loaded from, for messages
 * @param line the line where its document starts
 * @param priority when several playbooks match one detection, the highest priority wins
 * @param match which detections the playbook answers
 * @param window occurrences of matching detections per target are counted in this window
 * @param stages the ladder, in file order; the last stage whose conditions hold runs
 * @param dryRun plans are recorded but nothing changes in the cluster
 */
public record Playbook(
        String name,
        String description,
        String file,
        int line,
        int priority,
        MatchSpec match,
        Duration window,
        List<Stage> stages,
        boolean dryRun) {

    public Playbook {
        stages = List.copyOf(stages);
    }
}
