package dev.stanch.app;

import dev.stanch.playbook.PlaybookCatalog;
import dev.stanch.playbook.Problem;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.SchedulingConfigurer;
import org.springframework.scheduling.config.ScheduledTaskRegistrar;
import org.springframework.stereotype.Component;

/**
 * What the service does on a schedule: picking up changed playbooks, with a fixed delay (never two
 * runs at once) of {@code stanch.playbooks.reload-interval}. The runner is not here: it has threads
 * of its own, woken by the moves that make an action due ({@link RunnerWorkers}).
 */
@Component
class Schedules implements SchedulingConfigurer {

    private static final Logger log = LoggerFactory.getLogger(Schedules.class);

    private final PlaybookCatalog playbooks;
    private final StanchProperties properties;

    Schedules(PlaybookCatalog playbooks, StanchProperties properties) {
        this.playbooks = playbooks;
        this.properties = properties;
    }

    @Override
    public void configureTasks(ScheduledTaskRegistrar registrar) {
        if (!properties.playbooks().reloadInterval().isZero()) {
            registrar.addFixedDelayTask(
                    this::reloadPlaybooks, properties.playbooks().reloadInterval());
        }
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
