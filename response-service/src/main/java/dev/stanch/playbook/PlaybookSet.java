package dev.stanch.playbook;

import java.util.List;

/** What loading produced: the playbooks that are valid, and every problem found, in file order. */
public record PlaybookSet(List<Playbook> playbooks, List<Problem> problems) {

    public PlaybookSet {
        playbooks = List.copyOf(playbooks);
        problems = problems.stream().sorted(Problem.ORDER).toList();
    }

    /** True when no file had an error (warnings are allowed). */
    public boolean isValid() {
        return problems.stream().noneMatch(Problem::isError);
    }

    public List<Problem> errors() {
        return problems.stream().filter(Problem::isError).toList();
    }
}
