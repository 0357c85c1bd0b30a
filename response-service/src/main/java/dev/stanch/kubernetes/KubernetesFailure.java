package dev.stanch.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Locale;

/**
 * A Kubernetes API call that failed, classified once so that callers react to the reason, not to
 * HTTP codes: only {@link Reason#TRANSIENT} is worth retrying.
 */
public final class KubernetesFailure extends RuntimeException {

    /** The error taxonomy of DESIGN.md. */
    public enum Reason {
        FORBIDDEN,
        NOT_FOUND,
        CONFLICT,
        INVALID,
        TRANSIENT,
        UNSUPPORTED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;

    public KubernetesFailure(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public KubernetesFailure(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** Classifies a client exception: what the server said, or that it could not be reached. */
    static KubernetesFailure of(String doing, KubernetesClientException e) {
        int code = e.getCode();
        Reason reason = switch (code) {
            case 401, 403 -> Reason.FORBIDDEN;
            case 404 -> Reason.NOT_FOUND;
            case 409 -> Reason.CONFLICT;
            case 400, 422 -> Reason.INVALID;
            case 405, 415, 501 -> Reason.UNSUPPORTED;
            default -> Reason.TRANSIENT; // 0 (no answer), 429, 5xx, timeouts
        };
        String said = e.getStatus() != null && e.getStatus().getMessage() != null
                ? e.getStatus().getMessage()
                : e.getMessage();
        return new KubernetesFailure(reason, doing + ": " + reason.wireName() + " (" + code + "): " + said, e);
    }
}
