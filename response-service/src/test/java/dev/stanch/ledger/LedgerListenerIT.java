package dev.stanch.ledger;

import static dev.stanch.ledger.LedgerFixtures.T0;
import static dev.stanch.ledger.LedgerFixtures.WEB;
import static dev.stanch.ledger.LedgerFixtures.detection;
import static dev.stanch.ledger.LedgerFixtures.move;
import static dev.stanch.ledger.LedgerFixtures.newAction;
import static dev.stanch.ledger.LedgerFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What the ledger tells its listeners — the metrics' source — and its count by status. */
@ExtendWith(LedgerPostgresExtension.class)
class LedgerListenerIT {

    private record Told(
            UUID id,
            @Nullable ActionStatus from,
            ActionStatus to,
            @Nullable Instant detectedAt) {}

    private static Ledger ledger;
    private static final List<Told> told = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void database(LedgerPostgres postgres) {
        ledger = new Ledger(postgres.newDatabase(), new MutableClock(T0.plus(Duration.ofMinutes(1))));
        ledger.addTransitionListener(
                (action, from, detectedAt) -> told.add(new Told(action.id(), from, action.status(), detectedAt)));
        ledger.storeDetection(detection("listened", T0, WEB));
    }

    @Test
    void eachCommittedTransitionIsToldOnceWithTheDetectionsTimeOnApplied() {
        UUID id = ledger.createAction(newAction("listened", request())).id();
        move(ledger, id, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL, "stanch:guardrails", "ask");
        move(ledger, id, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, "alice@example.com", "yes");
        move(ledger, id, ActionStatus.APPROVED, ActionStatus.APPLYING, "stanch:executor", "applying");
        move(ledger, id, ActionStatus.APPLYING, ActionStatus.APPLIED, "stanch:executor", "applied");

        assertThat(told.stream().filter(t -> t.id().equals(id)).toList())
                .containsExactly(
                        new Told(id, null, ActionStatus.PLANNED, null),
                        new Told(id, ActionStatus.PLANNED, ActionStatus.PENDING_APPROVAL, null),
                        new Told(id, ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, null),
                        new Told(id, ActionStatus.APPROVED, ActionStatus.APPLYING, null),
                        new Told(id, ActionStatus.APPLYING, ActionStatus.APPLIED, T0));
        assertThat(ledger.countByStatus()).containsEntry(ActionStatus.APPLIED, 1L);
    }

    @Test
    void aTransitionRolledBackIsNeverTold() {
        UUID id = Ledger.newActionId();
        var action = new NewAction(id, "listened", request(), LedgerFixtures.plan(id, request()), "stanch:playbooks");

        assertThatThrownBy(() -> ledger.inTransaction(() -> {
                    ledger.createAction(action);
                    assertThat(told).noneMatch(t -> t.id().equals(id)); // not before the commit either
                    throw new IllegalStateException("the cluster went away");
                }))
                .hasMessage("the cluster went away");

        assertThat(told).noneMatch(t -> t.id().equals(id));
        assertThat(ledger.find(id)).isEmpty();
    }
}
