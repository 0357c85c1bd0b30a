package dev.stanch.ledger;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * One message for Kafka {@code stanch.actions}, written with the transition it tells of.
 *
 * @param id its place in the outbox (publish in this order)
 * @param actionId the action
 * @param auditSeq the audit row it tells of
 * @param payload a CloudEvent in JSON form
 * @param createdAt when the transition happened
 */
public record OutboxMessage(long id, UUID actionId, long auditSeq, Map<String, Object> payload, Instant createdAt) {}
