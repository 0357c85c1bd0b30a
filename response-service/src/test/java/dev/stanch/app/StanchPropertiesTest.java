package dev.stanch.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** {@code stanch.runner.*} as Spring Boot binds it: the defaults, and a bad value refused by name. */
class StanchPropertiesTest {

    @Test
    void theRunnerDefaultsToFourWorkersWokenOrLookingEveryTwoSeconds() {
        StanchProperties.Runner runner = bind(Map.of()).runner();

        assertThat(runner.enabled()).isTrue();
        assertThat(runner.workers()).isEqualTo(4);
        assertThat(runner.batch()).isEqualTo(20);
        assertThat(runner.interval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(runner.lease()).isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void workersAreSet() {
        assertThat(bind(Map.of("stanch.runner.workers", "12")).runner().workers())
                .isEqualTo(12);
        assertThat(bind(Map.of("stanch.runner.workers", "1")).runner().workers())
                .isEqualTo(1);
    }

    @Test
    void fewerThanOneWorkerIsRefusedByName() {
        for (String workers : new String[] {"0", "-3"}) {
            assertThatThrownBy(() -> bind(Map.of("stanch.runner.workers", workers)))
                    .isInstanceOf(BindException.class)
                    .rootCause()
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("stanch.runner.workers must be at least 1, not " + workers);
        }
        assertThatThrownBy(() -> new StanchProperties.Runner(null, null, null, null, 0))
                .hasMessage("stanch.runner.workers must be at least 1, not 0");
    }

    private static StanchProperties bind(Map<String, String> properties) {
        Map<String, String> all = new java.util.HashMap<>(properties);
        all.put("stanch.playbooks.dir", "/etc/stanch/playbooks");
        return new Binder(new MapConfigurationPropertySource(all))
                .bind("stanch", StanchProperties.class)
                .get();
    }
}
