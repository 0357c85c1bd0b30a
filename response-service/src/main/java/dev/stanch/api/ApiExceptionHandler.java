package dev.stanch.api;

import dev.stanch.kubernetes.KubernetesFailure;
import dev.stanch.ledger.ActionNotFound;
import dev.stanch.ledger.TransitionConflict;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.MismatchedInputException;

/**
 * Every error as an RFC 9457 problem detail ({@code application/problem+json}) whose detail says
 * what is wrong in the caller's terms: the parameter or field, the value, what is allowed. Bad
 * input is never a 500; an unexpected exception is, without its internals (the log has them, under
 * the id the answer names). Spring MVC's own exceptions (unknown path, method, media type, unreadable
 * body) come through {@link ResponseEntityExceptionHandler}, whose answers are given Stanch's types
 * and clearer details here. Security's 401 and 403 are written by {@link ProblemResponses}.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    /** How long a detector should wait before it posts again when the cluster or the ledger is down. */
    static final int RETRY_AFTER_SECONDS = 30;

    @ExceptionHandler(ApiProblem.class)
    ResponseEntity<ProblemDetail> apiProblem(ApiProblem problem) {
        return ResponseEntity.status(problem.status())
                .headers(problem.headers())
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem.toProblemDetail());
    }

    @ExceptionHandler(ActionNotFound.class)
    ResponseEntity<ProblemDetail> actionNotFound(ActionNotFound e) {
        return apiProblem(new ApiProblem(HttpStatus.NOT_FOUND, "action-not-found", "No such action", e.getMessage())
                .with("actionId", e.actionId().toString()));
    }

    /** The ledger refused the move: 409, with its reason as a code people and scripts can tell apart. */
    @ExceptionHandler(TransitionConflict.class)
    ResponseEntity<ProblemDetail> conflict(TransitionConflict e) {
        return apiProblem(
                new ApiProblem(HttpStatus.CONFLICT, "transition-conflict", "Transition refused", e.getMessage())
                        .with("reason", reasonCode(e.reason()))
                        .with("actionId", e.actionId().toString())
                        .with("actionStatus", e.from().wireName())
                        .with("requested", e.to().wireName()));
    }

    static String reasonCode(TransitionConflict.Reason reason) {
        return reason.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Nothing was stored. A transient failure (no answer, 429, 5xx) is a 503: post the event again
     * later. Any other (forbidden, invalid …) would fail again, so it is a 500 without Retry-After —
     * as the Kafka intake dead-letters it rather than retrying.
     */
    @ExceptionHandler(KubernetesFailure.class)
    ResponseEntity<ProblemDetail> kubernetes(KubernetesFailure e) {
        if (e.reason() != KubernetesFailure.Reason.TRANSIENT) {
            log.error("cannot read the cluster, and retrying will not help: {}", e.getMessage());
            return apiProblem(new ApiProblem(
                            HttpStatus.INTERNAL_SERVER_ERROR,
                            "cluster-refused",
                            "The cluster refused Stanch",
                            "the cluster could not be read to plan the action ("
                                    + e.reason().wireName()
                                    + "); nothing was stored, and sending it again will fail the same way"
                                    + " until Stanch's access is fixed")
                    .with("reason", e.reason().wireName()));
        }
        log.warn("cannot read the cluster: {}", e.getMessage());
        return apiProblem(new ApiProblem(
                        HttpStatus.SERVICE_UNAVAILABLE,
                        "cluster-unavailable",
                        "Cannot read the cluster",
                        "the cluster could not be read to plan the action ("
                                + e.reason().wireName() + "); nothing was stored: send it again in "
                                + RETRY_AFTER_SECONDS + " seconds")
                .with("reason", e.reason().wireName())
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS)));
    }

    @ExceptionHandler({
        CannotGetJdbcConnectionException.class,
        DataAccessResourceFailureException.class,
        TransientDataAccessException.class,
        // No connection for the transaction that every write starts with: not a DataAccessException.
        CannotCreateTransactionException.class
    })
    ResponseEntity<ProblemDetail> ledgerUnavailable(RuntimeException e) {
        log.warn("the ledger is unavailable: {}", e.toString());
        return apiProblem(new ApiProblem(
                        HttpStatus.SERVICE_UNAVAILABLE,
                        "ledger-unavailable",
                        "The ledger is unavailable",
                        "the ledger's database cannot be reached; nothing was stored: try again in "
                                + RETRY_AFTER_SECONDS + " seconds")
                .header(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS)));
    }

    /** Anything else is a fault of the service: 500, with an id to find it in the log, and no internals. */
    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e, WebRequest request) {
        BodyTooLarge tooLarge = cause(e, BodyTooLarge.class);
        if (tooLarge != null) {
            return apiProblem(BodyTooLarge.problem(tooLarge.limit()));
        }
        String id = UUID.randomUUID().toString();
        log.error("unexpected error {} on {}", id, describe(request), e);
        return apiProblem(new ApiProblem(
                        HttpStatus.INTERNAL_SERVER_ERROR,
                        "internal-error",
                        "Internal error",
                        "the service failed unexpectedly; its log has the details under error id " + id)
                .with("errorId", id));
    }

    // ---------------------------------------------------------------------------------------------
    // Spring MVC's exceptions: its problem detail, with Stanch's type and a detail that names what is wrong

    @Override
    protected @Nullable ResponseEntity<Object> handleExceptionInternal(
            Exception ex, @Nullable Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        BodyTooLarge tooLarge = cause(ex, BodyTooLarge.class);
        if (tooLarge != null) {
            return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                    .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                    .body(BodyTooLarge.problem(tooLarge.limit()).toProblemDetail());
        }
        HttpStatus known = HttpStatus.resolve(status.value());
        String code = code(status);
        String title = known == null ? "Error " + status.value() : known.getReasonPhrase();
        String detail = detail(ex, request);
        ProblemDetail problem = ApiProblem.problem(
                known == null ? HttpStatus.INTERNAL_SERVER_ERROR : known,
                code,
                title,
                detail != null
                        ? detail
                        : body instanceof ProblemDetail original && original.getDetail() != null
                                ? original.getDetail()
                                : title);
        problem.setStatus(status.value());
        if (ex instanceof HttpMediaTypeNotSupportedException unsupported) {
            problem.setProperty(
                    "supported",
                    unsupported.getSupportedMediaTypes().stream()
                            .map(MediaType::toString)
                            .toList());
        }
        if (ex instanceof HttpRequestMethodNotSupportedException method && method.getSupportedMethods() != null) {
            problem.setProperty("allowed", List.of(method.getSupportedMethods()));
        }
        if (ex instanceof MethodArgumentTypeMismatchException mismatch) {
            problem.setProperty("field", mismatch.getName());
        }
        if (ex instanceof MissingServletRequestParameterException missing) {
            problem.setProperty("field", missing.getParameterName());
        }
        HttpHeaders answer = new HttpHeaders();
        answer.addAll(headers);
        answer.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return ResponseEntity.status(status).headers(answer).body(problem);
    }

    /** The code of a problem that has nothing more specific than its status. */
    static String code(HttpStatusCode status) {
        return switch (status.value()) {
            case 400 -> "invalid-request";
            case 404 -> "not-found";
            case 405 -> "method-not-allowed";
            case 406 -> "not-acceptable";
            case 413 -> "body-too-large";
            case 415 -> "unsupported-media-type";
            case 500 -> "internal-error";
            default -> "http-" + status.value();
        };
    }

    private static @Nullable String detail(Exception ex, WebRequest request) {
        return switch (ex) {
            case NoResourceFoundException e -> "no such endpoint: " + describe(request);
            case HttpRequestMethodNotSupportedException e ->
                "method " + e.getMethod() + " is not supported on " + path(request)
                        + (e.getSupportedMethods() == null
                                ? ""
                                : "; allowed: " + String.join(", ", e.getSupportedMethods()));
            case HttpMediaTypeNotSupportedException e ->
                (e.getContentType() == null
                                ? "the request has no Content-Type"
                                : "Content-Type " + e.getContentType() + " is not supported here")
                        + "; send one of: "
                        + e.getSupportedMediaTypes().stream()
                                .map(MediaType::toString)
                                .collect(Collectors.joining(", "));
            case HttpMediaTypeNotAcceptableException e ->
                "cannot answer in a media type the request accepts; this endpoint answers "
                        + e.getSupportedMediaTypes().stream()
                                .map(MediaType::toString)
                                .collect(Collectors.joining(", "));
            case MethodArgumentTypeMismatchException e ->
                "parameter " + e.getName() + ": " + quoted(e.getValue()) + " is not " + typeName(e.getRequiredType());
            case TypeMismatchException e -> e.getPropertyName() + ": " + quoted(e.getValue()) + " is not valid";
            case MissingServletRequestParameterException e -> "parameter " + e.getParameterName() + " is required";
            case HttpMessageNotReadableException e -> unreadable(e);
            default -> null;
        };
    }

    /** What is wrong with a body that could not be read, in JSON terms. */
    private static String unreadable(HttpMessageNotReadableException e) {
        MismatchedInputException mismatch = cause(e, MismatchedInputException.class);
        if (mismatch != null) {
            String path = path(mismatch);
            return path.isEmpty()
                    ? "the body must be a JSON object"
                    : path + ": " + "expected " + typeName(mismatch.getTargetType());
        }
        StreamReadException syntax = cause(e, StreamReadException.class);
        if (syntax != null) {
            var location = syntax.getLocation();
            return "the body is not valid JSON: " + syntax.getOriginalMessage()
                    + (location == null
                            ? ""
                            : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")");
        }
        JacksonException jackson = cause(e, JacksonException.class);
        if (jackson != null) {
            String path = path(jackson);
            return (path.isEmpty() ? "" : path + ": ") + jackson.getOriginalMessage();
        }
        String message = e.getMessage();
        if (message != null && message.startsWith("Required request body is missing")) {
            return "the request has no body";
        }
        return "the body cannot be read";
    }

    private static String path(JacksonException e) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference reference : e.getPath()) {
            if (reference.getPropertyName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String typeName(@Nullable Class<?> type) {
        if (type == null) {
            return "a valid value";
        }
        if (type == UUID.class) {
            return "a UUID";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Map.class.isAssignableFrom(type)) {
            return "a JSON object";
        }
        if (List.class.isAssignableFrom(type)) {
            return "a JSON array";
        }
        return "a valid " + type.getSimpleName();
    }

    private static String quoted(@Nullable Object value) {
        return value == null ? "null" : "\"" + value + "\"";
    }

    private static String describe(WebRequest request) {
        return request instanceof ServletWebRequest servlet
                ? servlet.getRequest().getMethod() + " " + servlet.getRequest().getRequestURI()
                : request.getDescription(false);
    }

    private static String path(WebRequest request) {
        return request instanceof ServletWebRequest servlet
                ? servlet.getRequest().getRequestURI()
                : request.getDescription(false);
    }

    static <T extends Throwable> @Nullable T cause(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
