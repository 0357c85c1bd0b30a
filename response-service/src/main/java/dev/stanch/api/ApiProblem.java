package dev.stanch.api;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * An answer about the request, not a fault of the service: thrown by the controllers, answered by
 * {@link ApiExceptionHandler} as an RFC 9457 problem detail. No stack trace: nothing went wrong here.
 */
final class ApiProblem extends RuntimeException {

    /** The base of every problem type Stanch defines; docs/api.md lists them by code. */
    static final String TYPE_BASE = "tag:stanch.dev,2026:problem:";

    private final HttpStatus status;
    private final String code;
    private final String title;
    private final Map<String, Object> properties = new LinkedHashMap<>();
    private final HttpHeaders headers = new HttpHeaders();

    ApiProblem(HttpStatus status, String code, String title, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.title = title;
    }

    /** A request parameter or body field with a bad value: 400, naming it. */
    static ApiProblem invalid(String field, String detail) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", field + ": " + detail)
                .with("field", field);
    }

    ApiProblem with(String name, Object value) {
        properties.put(name, value);
        return this;
    }

    ApiProblem header(String name, String value) {
        headers.add(name, value);
        return this;
    }

    HttpStatus status() {
        return status;
    }

    HttpHeaders headers() {
        return headers;
    }

    ProblemDetail toProblemDetail() {
        ProblemDetail problem = problem(status, code, title, getMessage());
        properties.forEach(problem::setProperty);
        return problem;
    }

    /** A problem detail of Stanch's own type {@code code}, which is also a member of it. */
    static ProblemDetail problem(HttpStatus status, String code, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(URI.create(TYPE_BASE + code));
        problem.setTitle(title);
        problem.setProperty("code", code);
        return problem;
    }
}
