package dev.stanch.playbook;

/** Whether a stage's action runs by itself or waits for an on-call engineer. */
public enum Approval {
    AUTO,
    REQUIRED;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
