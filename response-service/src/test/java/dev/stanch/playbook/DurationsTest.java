package dev.stanch.playbook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void readsKubernetesStyleDurations() {
        assertThat(Durations.parse("90s")).contains(Duration.ofSeconds(90));
        assertThat(Durations.parse("15m")).contains(Duration.ofMinutes(15));
        assertThat(Durations.parse("1h30m")).contains(Duration.ofMinutes(90));
        assertThat(Durations.parse("7d")).contains(Duration.ofDays(7));
        assertThat(Durations.parse("0s")).contains(Duration.ZERO);
    }

    @Test
    void refusesEverythingElse() {
        for (String text :
                new String[] {"", "5", "1.5h", "30m1h", "-5m", "PT5M", "5 m", "1w", "99999999999999999999d"}) {
            assertThat(Durations.parse(text)).as(text).isEmpty();
        }
    }

    @Test
    void formatsTheShortestFormThatReadsBack() {
        assertThat(Durations.format(Duration.ofMinutes(90))).isEqualTo("1h30m");
        assertThat(Durations.format(Duration.ofDays(30))).isEqualTo("30d");
        assertThat(Durations.parse(Durations.format(Duration.ofSeconds(93_784))))
                .contains(Duration.ofSeconds(93_784));
    }
}
