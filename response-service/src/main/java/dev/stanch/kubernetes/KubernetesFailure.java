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
    private final boolean cacheNotReady;

    public KubernetesFailure(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.cacheNotReady = false;
    }

    public KubernetesFailure(Reason reason, String message) {
        this(reason, message, false);
    }

    private KubernetesFailure(Reason reason, String message, boolean cacheNotReady) {
        super(message);
        this.reason = reason;
        this.cacheNotReady = cacheNotReady;
    }

    /**
     * A read refused by Stanch's own {@link ClusterCache} (an informer not synced yet, stopped, or
     * without its watch for too long): {@link Reason#TRANSIENT transient} like the API server's 503,
     * so the Kafka intake delivers again, the HTTP intake answers 503 and the runner backs off; but
     * no call reached the API server, so it says nothing about the server's health ({@link
     * #cacheNotReady}).
     */
    public static KubernetesFailure ofCacheNotReady(String message) {
        return new KubernetesFailure(Reason.TRANSIENT, message, true);
    }

    public Reason reason() {
        return reason;
    }

    /**
     * Whether the failure is the cluster cache's refusal to serve a read, not a call to the API
     * server that failed: a circuit breaker around the API server must not count it, or an informer
     * that has not synced would open it and block the direct calls (apply, rollback) that work.
     */
    public boolean cacheNotReady() {
        return cacheNotReady;
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
