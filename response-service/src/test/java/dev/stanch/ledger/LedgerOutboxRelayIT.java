package dev.stanch.ledger;

import static dev.stanch.ledger.LedgerFixtures.T0;
import static dev.stanch.ledger.LedgerFixtures.WEB;
import static dev.stanch.ledger.LedgerFixtures.detection;
import static dev.stanch.ledger.LedgerFixtures.newAction;
import static dev.stanch.ledger.LedgerFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The outbox relay's claim ({@link Ledger#publishOutbox}), with several publishers on one database
 * as several instances would run them: each row is acknowledged once, and each action's rows in the
 * order its transitions happened.
 */
@ExtendWith(LedgerPostgresExtension.class)
class LedgerOutboxRelayIT {

    private static final long PATIENCE_SECONDS = 60;

    private static Ledger ledger;
    private static JdbcClient sql;

    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeAll
    static void database(LedgerPostgres postgres) {
        DataSource dataSource = postgres.newDatabase();
        ledger = new Ledger(dataSource, new MutableClock(T0));
        sql = JdbcClient.create(dataSource);
        ledger.storeDetection(detection("relay", T0, WEB));
    }

    @BeforeEach
    void nothingLeftToPublish() {
        while (ledger.publishOutbox(1000, OutboxMessages::ids) > 0) {
            // drain what earlier tests left
        }
    }

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(PATIENCE_SECONDS, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aRowBeingPublishedHoldsBackTheLaterRowsOfItsActionOnly() throws Exception {
        UUID held = ledger.createAction(newAction("relay", request())).id();
        move(held, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL);
        UUID other = ledger.createAction(newAction("relay", request())).id();
        move(other, ActionStatus.PLANNED, ActionStatus.BLOCKED);

        // The first publisher takes the oldest row (the held action's creation) and waits at the broker.
        CountDownLatch sending = new CountDownLatch(1);
        CountDownLatch brokerAnswers = new CountDownLatch(1);
        List<OutboxMessage> firstGot = Collections.synchronizedList(new ArrayList<>());
        Future<Integer> first = threads.submit(() -> ledger.publishOutbox(1, messages -> {
            firstGot.addAll(messages);
            sending.countDown();
            await(brokerAnswers);
            return OutboxMessages.ids(messages);
        }));
        await(sending);

        List<OutboxMessage> secondGot = new ArrayList<>();
        int secondPublished = ledger.publishOutbox(1000, messages -> {
            secondGot.addAll(messages);
            return OutboxMessages.ids(messages);
        });

        assertThat(firstGot).extracting(OutboxMessage::actionId).containsExactly(held);
        assertThat(secondGot)
                .as("the other action's rows, none of the held action's")
                .extracting(OutboxMessage::actionId)
                .containsExactly(other, other);
        assertThat(secondPublished).isEqualTo(2);

        brokerAnswers.countDown();
        assertThat(first.get(PATIENCE_SECONDS, TimeUnit.SECONDS)).isEqualTo(1);
        List<OutboxMessage> rest = new ArrayList<>();
        ledger.publishOutbox(1000, messages -> {
            rest.addAll(messages);
            return OutboxMessages.ids(messages);
        });
        assertThat(rest)
                .as("the held action's later row, once its first is published")
                .extracting(OutboxMessage::actionId)
                .containsExactly(held);
        assertThat(rest.getFirst().auditSeq()).isGreaterThan(firstGot.getFirst().auditSeq());
    }

    @Test
    void unacknowledgedMessagesStayForTheNextRound() {
        UUID id = ledger.createAction(newAction("relay", request())).id();
        move(id, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL);

        assertThat(ledger.publishOutbox(1000, messages -> List.of())).isZero();
        List<OutboxMessage> again = new ArrayList<>();
        assertThat(ledger.publishOutbox(1000, messages -> {
                    again.addAll(messages);
                    return List.of(messages.getFirst().id());
                }))
                .isEqualTo(1);
        List<OutboxMessage> last = new ArrayList<>();
        ledger.publishOutbox(1000, messages -> {
            last.addAll(messages);
            return OutboxMessages.ids(messages);
        });

        assertThat(again).hasSize(2);
        assertThat(last).containsExactly(again.get(1));
        assertThat(ledger.unpublished(1000)).isEmpty();
    }

    /**
     * Three publishers and two writers at once, publishers acknowledging random prefixes (a broker
     * that fails part of a batch): in the end every row is acknowledged exactly once, and each
     * action's acknowledgements follow its audit order.
     */
    @Test
    void concurrentPublishersAcknowledgeEachRowOnceAndEachActionInOrder() throws Exception {
        long rowsBefore = countRows();
        List<OutboxMessage> acknowledged = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            writers.add(threads.submit(() -> {
                for (int i = 0; i < 60; i++) {
                    UUID id = ledger.createAction(newAction("relay", request())).id();
                    move(id, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL);
                    move(id, ActionStatus.PENDING_APPROVAL, i % 2 == 0 ? ActionStatus.APPROVED : ActionStatus.REJECTED);
                }
                return null;
            }));
        }
        CompletableFuture<Void> written =
                CompletableFuture.runAsync(() -> writers.forEach(LedgerOutboxRelayIT::join), threads);
        written.whenComplete((done, error) -> writing.set(false));
        List<Future<?>> publishers = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            long seed = p;
            publishers.add(threads.submit(() -> {
                Random random = new Random(seed);
                int idleRounds = 0;
                while (writing.get() || idleRounds < 3) {
                    int published = ledger.publishOutbox(7, messages -> {
                        List<OutboxMessage> prefix = messages.subList(0, random.nextInt(messages.size() + 1));
                        acknowledged.addAll(prefix);
                        return OutboxMessages.ids(prefix);
                    });
                    idleRounds = published == 0 && !writing.get() ? idleRounds + 1 : 0;
                }
                return null;
            }));
        }
        written.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        publishers.forEach(LedgerOutboxRelayIT::join);
        while (ledger.publishOutbox(1000, messages -> {
                    acknowledged.addAll(messages);
                    return OutboxMessages.ids(messages);
                })
                > 0) {
            // what the publishers' last rounds left
        }

        assertThat(ledger.unpublished(1000)).isEmpty();
        List<Long> ids = acknowledged.stream().map(OutboxMessage::id).toList();
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(ids).as("2 writers × 60 actions × 3 transitions").hasSize(360);
        assertThat(countRows() - rowsBefore).isEqualTo(360);
        Map<UUID, List<Long>> seqsByAction = new HashMap<>();
        synchronized (acknowledged) {
            acknowledged.forEach(message -> seqsByAction
                    .computeIfAbsent(message.actionId(), key -> new ArrayList<>())
                    .add(message.auditSeq()));
        }
        assertThat(seqsByAction.values()).allSatisfy(seqs -> assertThat(seqs).isSorted());
    }

    private static long countRows() {
        return sql.sql("select count(*) from outbox").query(Long.class).single();
    }

    private static void move(UUID id, ActionStatus from, ActionStatus to) {
        ledger.transition(Transition.of(id, from, to, "bob@example.com", "to " + to.wireName()));
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(PATIENCE_SECONDS, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void join(Future<?> future) {
        try {
            future.get(PATIENCE_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static final class OutboxMessages {
        static Collection<Long> ids(List<OutboxMessage> messages) {
            return messages.stream().map(OutboxMessage::id).toList();
        }
    }
}
