package dev.stanch.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class KafkaSettingsTest {

    @Test
    void everyKeyLeftOutTakesItsDefault() {
        KafkaSettings settings = new KafkaSettings(null, null, null, null, null, null, null, null);

        assertThat(settings.enabled()).isTrue();
        assertThat(settings.detectionsTopic()).isEqualTo("stanch.detections");
        assertThat(settings.actionsTopic()).isEqualTo("stanch.actions");
        assertThat(settings.deadLetterTopic()).isEqualTo("stanch.detections.dlt");
        assertThat(settings.concurrency()).isEqualTo(2);
        assertThat(settings.maxRecordBytes().toBytes()).isEqualTo(1024 * 1024);
        assertThat(settings.retry().initialInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(settings.retry().maxInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.relay().enabled()).isTrue();
        assertThat(settings.relay().interval()).isEqualTo(Duration.ofMillis(500));
        assertThat(settings.relay().batch()).isEqualTo(100);
        assertThat(settings.relay().sendTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void badValuesAreRefusedWithTheirKey() {
        assertThatThrownBy(() -> new KafkaSettings(null, "detections; rm", null, null, null, null, null, null))
                .hasMessageContaining("stanch.kafka.detections-topic");
        assertThatThrownBy(() -> new KafkaSettings(null, "same", null, "same", null, null, null, null))
                .hasMessageContaining("stanch.kafka.dead-letter-topic must differ");
        assertThatThrownBy(() -> new KafkaSettings(null, null, null, null, 0, null, null, null))
                .hasMessageContaining("stanch.kafka.concurrency");
        assertThatThrownBy(() -> new KafkaSettings(null, null, null, null, null, DataSize.ofBytes(0), null, null))
                .hasMessageContaining("stanch.kafka.max-record-bytes");
        assertThatThrownBy(() -> new KafkaSettings.Retry(Duration.ofSeconds(10), Duration.ofSeconds(1)))
                .hasMessageContaining("stanch.kafka.retry.max-interval");
        assertThatThrownBy(() -> new KafkaSettings.Relay(null, Duration.ZERO, null, null))
                .hasMessageContaining("stanch.kafka.relay.interval");
        assertThatThrownBy(() -> new KafkaSettings.Relay(null, null, 0, null))
                .hasMessageContaining("stanch.kafka.relay.batch");
    }
}
