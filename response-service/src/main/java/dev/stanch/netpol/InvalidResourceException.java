package dev.stanch.netpol;

/**
 * A Kubernetes object that the API server would have rejected (an unknown selector operator, a
 * malformed CIDR, a port out of range). Such an object cannot exist in a cluster, so the engine
 * skips it with a warning instead of guessing what it meant.
 */
final class InvalidResourceException extends RuntimeException {

    InvalidResourceException(String message) {
        super(message);
    }

    InvalidResourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
