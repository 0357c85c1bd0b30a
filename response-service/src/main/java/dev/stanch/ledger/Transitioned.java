package dev.stanch.ledger;

/**
 * A transition that happened.
 *
 * @param action the action after it
 * @param entry its audit row
 */
public record Transitioned(Action action, AuditEntry entry) {}
