package dev.stanch.playbook;

import dev.stanch.detection.Detection;
import dev.stanch.detection.Target;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A target's past: how many earlier detections matched a playbook for one pod within a window. The
 * ledger answers this in the service; {@link InMemory} answers it for simulations.
 */
public interface History {

    /**
     * Earlier matching detections for the target in {@code [from, to]}, not counting the one being
     * decided ({@code excludingId}).
     */
    long earlierOccurrences(String playbook, Target target, Instant from, Instant to, String excludingId);

    /** A history that has never seen anything: every detection is the first occurrence. */
    static History empty() {
        return (playbook, target, from, to, excludingId) -> 0;
    }

    /** A history in memory, filled by {@link #record}; redelivered detections count once. */
    final class InMemory implements History {
        private record Occurrence(String playbook, Target target, Instant time, String id) {}

        private final List<Occurrence> occurrences = new ArrayList<>();
        private final Set<String> seen = new HashSet<>();

        public synchronized void record(Detection detection, List<String> matchedPlaybooks) {
            for (String playbook : matchedPlaybooks) {
                if (seen.add(playbook + "\u0000" + detection.id())) {
                    occurrences.add(new Occurrence(playbook, detection.target(), detection.time(), detection.id()));
                }
            }
        }

        @Override
        public synchronized long earlierOccurrences(
                String playbook, Target target, Instant from, Instant to, String excludingId) {
            return occurrences.stream()
                    // namespace/pod: detectors disagree on (or omit) the container name
                    .filter(o ->
                            o.playbook().equals(playbook) && o.target().key().equals(target.key()))
                    .filter(o -> !o.id().equals(excludingId))
                    .filter(o -> !o.time().isBefore(from) && !o.time().isAfter(to))
                    .count();
        }
    }
}
