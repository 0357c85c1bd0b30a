package dev.stanch.ledger;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * One row of the audit log: one transition of one action.
 *
 * @param seq its place in the chain: 1, 2, 3 … without gaps
 * @param actionId the action
 * @param at when, to the microsecond
 * @param actor who: a person's name, or the Stanch component that acted
 * @param from the status before; null for the row that creates the action
 * @param to the status after
 * @param reason why, in words
 * @param details what else is worth keeping, as JSON values
 * @param prevHash the hash of the row before ({@link AuditHash#GENESIS} for the first)
 * @param hash SHA-256 over this row's canonical form ({@link AuditHash})
 */
public record AuditEntry(
        long seq,
        UUID actionId,
        Instant at,
        String actor,
        @Nullable ActionStatus from,
        ActionStatus to,
        String reason,
        Map<String, Object> details,
        String prevHash,
        String hash) {}
