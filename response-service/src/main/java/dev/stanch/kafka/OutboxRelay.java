package dev.stanch.kafka;

import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.OutboxMessage;
import dev.stanch.ledger.OutboxPublisher;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.support.SendResult;
import tools.jackson.databind.json.JsonMapper;

/**
 * Publishes the ledger's outbox to the actions topic: one CloudEvent (structured mode, {@value
 * #CONTENT_TYPE}) per action transition, keyed by the action's id so that an action's events share a
 * partition and keep their order. Runs on every instance, on its own thread, every {@code
 * stanch.kafka.relay.interval}; instances share the rows through {@link Ledger#publishOutbox}.
 *
 * <p>A row is marked published only after the broker acknowledged it (the producer is idempotent,
 * {@code acks=all}), in the transaction that claimed it. A relay that stops between the broker's
 * acknowledgement and that commit leaves the row to be sent again: consumers recognize the repeat by
 * the event's {@code id} ({@code audit-<seq>}, stable per row) and {@code source}.
 */
final class OutboxRelay implements SmartLifecycle, OutboxPublisher {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

    static final String CONTENT_TYPE = "application/cloudevents+json; charset=UTF-8";

    /** The CloudEvents Kafka binding's header for the event format (structured mode). */
    static final String CONTENT_TYPE_HEADER = "content-type";

    /** Rounds in a row while each publishes a full batch: a backlog drains without waiting an interval each. */
    private static final int MAX_ROUNDS_IN_A_ROW = 10;

    /** CloudEvents attributes first, in the specification's order, for people reading the topic. */
    private static final List<String> ATTRIBUTE_ORDER =
            List.of("specversion", "id", "source", "type", "subject", "time", "datacontenttype");

    private final Ledger ledger;
    private final KafkaOperations<String, byte[]> kafka;
    private final String topic;
    private final KafkaSettings.Relay settings;
    private final JsonMapper json = JsonMapper.builder().build();

    private volatile ScheduledExecutorService scheduler;
    private volatile boolean failing;

    OutboxRelay(Ledger ledger, KafkaOperations<String, byte[]> kafka, String topic, KafkaSettings.Relay settings) {
        this.ledger = ledger;
        this.kafka = kafka;
        this.topic = topic;
        this.settings = settings;
    }

    /** Rounds until the outbox is drained (or a round falls short): what this run published. */
    int run() {
        int published = 0;
        try {
            for (int round = 0; round < MAX_ROUNDS_IN_A_ROW; round++) {
                int count = ledger.publishOutbox(settings.batch(), this);
                published += count;
                if (count < settings.batch()) {
                    break;
                }
            }
            if (failing) {
                failing = false;
                log.info("outbox relay: publishing to {} again", topic);
            }
        } catch (RuntimeException e) {
            // The database is away, most likely: nothing was marked, the next run sends it all again.
            if (!failing) {
                failing = true;
                log.warn("outbox relay: cannot publish, will keep trying: {}", e.toString());
            }
        }
        return published;
    }

    /**
     * Sends the messages in order and waits for the broker, at most {@code send-timeout}. Reports an
     * action's messages up to its first that failed: the later ones are sent again after it in a
     * later round, so that a consumer never needs one before its predecessor.
     */
    @Override
    public Collection<Long> publish(List<OutboxMessage> messages) {
        List<CompletableFuture<SendResult<String, byte[]>>> sends = new ArrayList<>(messages.size());
        for (OutboxMessage message : messages) {
            try {
                sends.add(kafka.send(record(message)));
            } catch (RuntimeException e) {
                // No metadata within max.block.ms, most likely: the broker is away; stop here.
                sends.add(CompletableFuture.failedFuture(e));
                break;
            }
        }
        long deadline = System.nanoTime() + settings.sendTimeout().toNanos();
        Set<UUID> stopped = new HashSet<>();
        List<Long> acknowledged = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            OutboxMessage message = messages.get(i);
            if (i >= sends.size() || stopped.contains(message.actionId())) {
                stopped.add(message.actionId());
                continue;
            }
            try {
                sends.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                acknowledged.add(message.id());
            } catch (ExecutionException | TimeoutException e) {
                stopped.add(message.actionId());
                log.warn(
                        "outbox relay: {} of action {} not acknowledged, sent again later: {}",
                        message.payload().get("id"),
                        message.actionId(),
                        e instanceof ExecutionException
                                ? e.getCause().toString()
                                : "no answer within " + settings.sendTimeout());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return acknowledged;
    }

    ProducerRecord<String, byte[]> record(OutboxMessage message) {
        Map<String, Object> event = new LinkedHashMap<>();
        ATTRIBUTE_ORDER.forEach(name -> {
            if (message.payload().containsKey(name)) {
                event.put(name, message.payload().get(name));
            }
        });
        message.payload().forEach(event::putIfAbsent);
        ProducerRecord<String, byte[]> record =
                new ProducerRecord<>(topic, message.actionId().toString(), json.writeValueAsBytes(event));
        record.headers().add(CONTENT_TYPE_HEADER, CONTENT_TYPE.getBytes(StandardCharsets.UTF_8));
        return record;
    }

    @Override
    public void start() {
        ScheduledExecutorService started = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "stanch-outbox-relay");
            thread.setDaemon(true);
            return thread;
        });
        long interval = settings.interval().toMillis();
        started.scheduleWithFixedDelay(this::run, 0, interval, TimeUnit.MILLISECONDS);
        scheduler = started;
        log.info("outbox relay: publishing to {} every {}", topic, settings.interval());
    }

    @Override
    public void stop() {
        ScheduledExecutorService running = scheduler;
        scheduler = null;
        if (running == null) {
            return;
        }
        running.shutdown();
        Duration patience = settings.sendTimeout().plusSeconds(5);
        try {
            if (!running.awaitTermination(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                running.shutdownNow();
            }
        } catch (InterruptedException e) {
            running.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return scheduler != null;
    }
}
