package dev.stanch.playbook;

/** What happens to a pending action nobody decided on in time. Reject is the default. */
public enum OnApprovalTimeout {
    REJECT,
    APPROVE;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
