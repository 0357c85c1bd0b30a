package dev.stanch.playbook;

import com.google.common.base.Suppliers;
import dev.stanch.detection.Detection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Decides what the playbooks do about one detection. Pure: the same playbooks, detection and
 * history give the same decision.
 *
 * <p>The rule when several playbooks match: live playbooks are tried before dry-run ones, then by
 * descending {@code priority}, then by name; the first one that matches <em>and</em> has a stage that holds acts, and only that
 * one, so that one detection never causes two actions on one pod. Every playbook whose match held
 * counts the detection as an occurrence, selected or not, so its ladder climbs as the target
 * misbehaves.
 *
 * <p>Within a playbook the last stage (in file order) whose conditions hold runs: its {@code after}
 * is at most the number of occurrences in the window, its {@code when} holds, and its action has
 * what it needs from the detection (block-connection needs a connection).
 */
public final class PlaybookEngine {

    /** Live before dry-run, so that trying out a playbook never silences a live one. */
    private static final Comparator<Playbook> ORDER = Comparator.comparing(Playbook::dryRun)
            .thenComparing(Comparator.comparingInt(Playbook::priority).reversed())
            .thenComparing(Playbook::name);

    private final List<Playbook> playbooks;

    public PlaybookEngine(List<Playbook> playbooks) {
        this.playbooks = playbooks.stream().sorted(ORDER).toList();
    }

    public Decision decide(Detection detection, History history) {
        List<String> matched = new ArrayList<>();
        List<Decision.Miss> misses = new ArrayList<>();
        ActionRequest selected = null;
        Supplier<Map<String, Object>> celValue = Suppliers.memoize(() -> Conditions.value(detection));
        for (Playbook playbook : playbooks) {
            String mismatch = mismatch(playbook.match(), detection, celValue);
            if (mismatch != null) {
                misses.add(new Decision.Miss(playbook.name(), mismatch));
                continue;
            }
            matched.add(playbook.name());
            if (selected != null) {
                misses.add(new Decision.Miss(
                        playbook.name(),
                        "matched, but playbook \"" + selected.playbook() + "\" comes first (priority)"));
                continue;
            }
            long occurrences = 1
                    + history.earlierOccurrences(
                            playbook.name(),
                            detection.target(),
                            detection.time().minus(playbook.window()),
                            detection.time(),
                            detection.id());
            List<String> stageMisses = new ArrayList<>();
            Stage stage = stage(playbook, detection, celValue, occurrences, stageMisses);
            if (stage == null) {
                misses.add(new Decision.Miss(
                        playbook.name(),
                        "matched, but no stage holds at occurrence "
                                + occurrences
                                + ": "
                                + String.join("; ", stageMisses)));
                continue;
            }
            selected = new ActionRequest(
                    playbook.name(),
                    stage.name(),
                    occurrences,
                    stage.action(),
                    detection.target(),
                    stage.action().resolve(stage.params(), detection),
                    stage.approval(),
                    stage.approvalTimeout(),
                    stage.onApprovalTimeout(),
                    stage.expireAfter(),
                    playbook.dryRun());
        }
        return selected == null ? new Decision.NoAction(matched, misses) : new Decision.Act(selected, matched, misses);
    }

    /** Why the detection does not match, or null when it does. */
    private static String mismatch(MatchSpec match, Detection detection, Supplier<Map<String, Object>> celValue) {
        if (!match.sources().isEmpty() && !match.sources().contains(detection.source())) {
            return "source "
                    + detection.source().wireName()
                    + " is not one of "
                    + match.sources().stream().map(s -> s.wireName()).sorted().toList();
        }
        if (match.rules().stream().noneMatch(glob -> glob.matches(detection.rule()))) {
            return "rule \"" + detection.rule() + "\" matches none of " + match.rulePatterns();
        }
        if (!detection.severity().isAtLeast(match.minSeverity())) {
            return "severity "
                    + detection.severity().wireName()
                    + " is below "
                    + match.minSeverity().wireName();
        }
        if (match.when() != null) {
            Condition.Verdict verdict = match.when().evaluate(Map.of(Conditions.DETECTION, celValue.get()));
            if (!verdict.holds()) {
                return verdict.error() == null
                        ? "when is false: "
                                + match.when()
                                        .expression()
                                        .replaceAll("\\s+", " ")
                                        .strip()
                        : "when failed: " + verdict.error();
            }
        }
        return null;
    }

    private static Stage stage(
            Playbook playbook,
            Detection detection,
            Supplier<Map<String, Object>> celValue,
            long occurrences,
            List<String> misses) {
        List<Stage> stages = playbook.stages();
        for (int i = stages.size() - 1; i >= 0; i--) {
            Stage stage = stages.get(i);
            if (occurrences < stage.after()) {
                misses.add(stage.name() + " needs " + stage.after() + " occurrences");
                continue;
            }
            if (stage.action().needsConnection() && detection.connection() == null) {
                misses.add(stage.name() + " (" + stage.action().wireName() + ") needs a connection");
                continue;
            }
            if (stage.when() != null) {
                Condition.Verdict verdict = stage.when().evaluate(Conditions.variables(celValue.get(), occurrences));
                if (!verdict.holds()) {
                    misses.add(stage.name()
                            + (verdict.error() == null ? ": when is false" : ": when failed: " + verdict.error()));
                    continue;
                }
            }
            return stage;
        }
        return null;
    }
}
