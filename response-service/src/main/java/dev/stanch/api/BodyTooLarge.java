package dev.stanch.api;

import java.io.IOException;

/**
 * A request body over the limit ({@code stanch.api.max-body-size}), found while reading it (a body
 * sent without a Content-Length). An IOException, because it is thrown from the body's stream; the
 * exception handler finds it inside whatever wrapped it and answers 413.
 */
final class BodyTooLarge extends IOException {

    private final long limit;

    BodyTooLarge(long limit) {
        super("the request body is larger than " + limit + " bytes", null);
        this.limit = limit;
    }

    long limit() {
        return limit;
    }

    /** The problem for a body over {@code limit} bytes. */
    static ApiProblem problem(long limit) {
        return new ApiProblem(
                        org.springframework.http.HttpStatus.CONTENT_TOO_LARGE,
                        "body-too-large",
                        "Request body too large",
                        "the request body is larger than the limit of " + limit + " bytes (stanch.api.max-body-size)")
                .with("limit", limit);
    }
}
