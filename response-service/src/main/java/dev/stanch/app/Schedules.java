package dev.stanch.app;

import dev.stanch.playbook.PlaybookCatalog;
import dev.stanch.playbook.Problem;
import dev.stanch.workflow.Runner;
import dev.stanch.workflow.Work;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * The two things the service does on its own: working on the due actions, and picking up changed
 * playbooks. Each runs with a fixed delay (never two runs of one at once), at the intervals of
 * {@link StanchProperties}.
 *
 * <p>Several instances may run the runner on one ledger: each claims what it works on, under its
 * {@link StanchProperties#instanceId()}, so an action is worked on by one of them at a time.
 */
@Component
class Schedules implements SchedulingConfigurer {

    private static final Logger log = LoggerFactory.getLogger(Schedules.class);

    /** Runs in a row while each claims a full batch: a backlog drains without waiting an interval each. */
    private static final int MAX_RUNS_IN_A_ROW = 10;

    private final Runner runner;
    private final PlaybookCatalog playbooks;
    private final StanchProperties properties;

    Schedules(Runner runner, PlaybookCatalog playbooks, StanchProperties properties) {
        this.runner = runner;
        this.playbooks = playbooks;
        this.properties = properties;
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        if (properties.runner().enabled()) {
            registrar.addFixedDelayTask(this::runDue, properties.runner().interval());
        } else {
            log.info("stanch.runner.enabled is off: this instance executes no actions");
        }
        if (!properties.playbooks().reloadInterval().isZero()) {
            registrar.addFixedDelayTask(
                    this::reloadPlaybooks, properties.playbooks().reloadInterval());
        }
    }

    void runDue() {
        String owner = properties.instanceId();
        for (int run = 0; run < MAX_RUNS_IN_A_ROW; run++) {
            List<Work> done;
            try {
                done = runner.runDue(owner);
            } catch (RuntimeException e) {
                // The database is away, most likely: nothing was claimed, the next tick tries again.
                log.warn("cannot claim due actions: {}", e.toString());
                return;
            }
            done.forEach(Schedules::report);
            // While paused, approved actions are claimed and handed back each time: no reason to run again.
            if (done.size() < properties.runner().batch() || done.stream().allMatch(Schedules::heldByPause)) {
                return;
            }
        }
    }

    private static void report(Work work) {
        switch (work) {
            case Work.Moved moved ->
                log.info(
                        "action {}: {} → {} ({}){}",
                        moved.actionId(),
                        moved.from(),
                        moved.to(),
                        moved.reason(),
                        moved.changed().isEmpty() ? "" : "; changed " + moved.changed());
            case Work.Deferred deferred
            when heldByPause(deferred) ->
                log.debug("action {}: {} held: {}", deferred.actionId(), deferred.status(), deferred.reason());
            case Work.Deferred deferred ->
                log.warn(
                        "action {}: {} deferred {} after {} transient failure(s): {}",
                        deferred.actionId(),
                        deferred.status(),
                        deferred.retryIn(),
                        deferred.transientFailures(),
                        deferred.reason());
            case Work.Lost lost ->
                log.info(
                        "action {}: moved on by someone else while in {}: {}",
                        lost.actionId(),
                        lost.status(),
                        lost.reason());
            case Work.Crashed crashed ->
                log.error(
                        "action {}: unexpected error in {}; its lease will run out and it is taken up again",
                        crashed.actionId(),
                        crashed.status(),
                        crashed.error());
        }
    }

    /** Deferred by the pause switch (no backoff): expected on every run while paused, not a failure. */
    private static boolean heldByPause(Work work) {
        return work instanceof Work.Deferred deferred && deferred.retryIn() == null;
    }

    void reloadPlaybooks() {
        Optional<List<Problem>> reloaded = playbooks.reloadIfChanged();
        if (reloaded.isEmpty()) {
            return;
        }
        List<Problem> problems = reloaded.get();
        if (problems.isEmpty()) {
            log.info(
                    "playbooks reloaded from {}: {} in force",
                    properties.playbooks().dir(),
                    playbooks.current().playbooks().size());
        } else {
            log.error(
                    "playbooks in {} changed but are invalid; the {} loaded before stay in force:{}",
                    properties.playbooks().dir(),
                    playbooks.current().playbooks().size(),
                    problems.stream().map(problem -> "\n  " + problem).reduce("", String::concat));
        }
    }
}
