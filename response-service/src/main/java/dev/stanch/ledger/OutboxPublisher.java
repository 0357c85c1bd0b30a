package dev.stanch.ledger;

import java.util.Collection;
import java.util.List;

/**
 * Sends outbox messages to Kafka for {@link Ledger#publishOutbox}, inside the transaction that holds
 * them: the ones it reports are marked published when it returns, the others stay for a later round.
 */
@FunctionalInterface
public interface OutboxPublisher {

    /**
     * Sends the messages in the order given (oldest first: an action's transitions in the order they
     * happened) and waits for the broker.
     *
     * @return the ids of the messages the broker acknowledged. Report a later message of an action
     *     only when its earlier ones in this list were acknowledged too, or the next round would send
     *     the earlier one after it
     */
    Collection<Long> publish(List<OutboxMessage> messages);
}
