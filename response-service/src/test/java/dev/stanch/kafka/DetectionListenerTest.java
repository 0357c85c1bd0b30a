package dev.stanch.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** What the listener writes into logs and headers from what a producer sent. */
class DetectionListenerTest {

    @Test
    void aRecordIsNamedByPlaceAndItsKeyMadePrintable() {
        var record = new ConsumerRecord<byte[], byte[]>(
                "stanch.detections",
                1,
                42L,
                "shop/web-1\n[fake] admin logged in".getBytes(StandardCharsets.UTF_8),
                null);

        assertThat(DetectionListener.describe(record))
                .isEqualTo("stanch.detections-1@42 (key shop/web-1\\u000a[fake] admin logged in)");
        assertThat(DetectionListener.describe(new ConsumerRecord<byte[], byte[]>("t", 0, 0L, null, null)))
                .isEqualTo("t-0@0");
    }

    @Test
    void printableTextIsBoundedWithoutSplittingACharacter() {
        assertThat(DetectionListener.printable("short", 10)).isEqualTo("short");
        assertThat(DetectionListener.printable("x".repeat(50), 10)).isEqualTo("xxxxxxxxx…");
        assertThat(DetectionListener.printable("12345678😀😀", 10)).isEqualTo("12345678…");
        assertThat(DetectionListener.printable("a\u0000b", 100)).isEqualTo("a\\u0000b");
    }
}
