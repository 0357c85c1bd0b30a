package dev.stanch.playbook;

import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which detections a playbook answers: all four tests must pass.
 *
 * @param sources detector families; empty means any
 * @param rules rule-name globs; a detection matches when any glob matches its rule
 * @param minSeverity the least severe detection that matches
 * @param when an optional CEL condition over {@code detection}
 */
public record MatchSpec(
        Set<Source> sources,
        List<RuleGlob> rules,
        Severity minSeverity,
        @Nullable Condition when) {

    public MatchSpec {
        sources = Set.copyOf(sources);
        rules = List.copyOf(rules);
    }

    public List<String> rulePatterns() {
        return rules.stream().map(RuleGlob::pattern).toList();
    }
}
