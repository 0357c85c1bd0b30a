package dev.stanch.sandbox;

import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.detection.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends one file as one record to a Kafka topic, as a detector would — for the sandbox, where no
 * Kafka tools are installed:
 *
 * <pre>
 * ./mvnw -q -pl response-service exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.stanch.sandbox.Produce -Dexec.args="BOOTSTRAP TOPIC FILE [KEY]"
 * </pre>
 *
 * (Maven itself must run on JDK 21 or newer: {@code exec:java} runs in its JVM.) The file's bytes
 * are the value, unchanged. The key, unless given, is {@code namespace/pod} of the detection the
 * file holds, as producers are asked to set it; none when the file is no detection Stanch can read.
 */
public final class Produce {

    private Produce() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3 || args.length > 4) {
            System.err.println("usage: Produce BOOTSTRAP TOPIC FILE [KEY]");
            System.exit(2);
        }
        String bootstrap = args[0];
        String topic = args[1];
        Path file = Path.of(args[2]);
        byte[] value = Files.readAllBytes(file);
        String key = args.length == 4 ? args[3] : keyOf(value);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class,
                ProducerConfig.CLIENT_ID_CONFIG,
                "stanch-sandbox-produce",
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                15_000))) {
            RecordMetadata sent =
                    producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
            System.out.printf(
                    "sent %s (%d bytes) to %s-%d at offset %d, key %s%n",
                    file, value.length, sent.topic(), sent.partition(), sent.offset(), key == null ? "(none)" : key);
        }
    }

    /** {@code namespace/pod} of the detection in the file, or null. */
    static String keyOf(byte[] value) {
        if (new DetectionNormalizer().normalize(value) instanceof Normalization.Normalized normalized) {
            Target target = normalized.detection().target();
            return target.namespace() + "/" + target.pod();
        }
        return null;
    }
}
