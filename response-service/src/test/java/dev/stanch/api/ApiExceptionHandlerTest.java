package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.kubernetes.KubernetesFailure;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.method.annotation.ExceptionHandlerMethodResolver;

/** An unexpected failure: 500, with an id to find it in the log, and nothing of its internals. */
class ApiExceptionHandlerTest {

    @Test
    void anUnexpectedExceptionIsA500WithoutItsMessage() {
        ResponseEntity<ProblemDetail> answer = new ApiExceptionHandler()
                .unexpected(
                        new IllegalStateException("password=hunter2 at jdbc:postgresql://db/ledger"),
                        new ServletWebRequest(new MockHttpServletRequest("GET", "/api/v1/actions")));

        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
        ProblemDetail problem = answer.getBody();
        assertThat(problem.getProperties()).containsEntry("code", "internal-error");
        String errorId = (String) problem.getProperties().get("errorId");
        assertThat(problem.getDetail())
                .isEqualTo("the service failed unexpectedly; its log has the details under error id " + errorId);
        assertThat(problem.toString()).doesNotContain("hunter2").doesNotContain("postgresql");
    }

    @Test
    void noConnectionForATransactionIsTheLedgerUnavailable() {
        var failure = new CannotCreateTransactionException("Could not open JDBC Connection for transaction");
        Method handler = new ExceptionHandlerMethodResolver(ApiExceptionHandler.class).resolveMethod(failure);

        assertThat(handler).isNotNull().extracting(Method::getName).isEqualTo("ledgerUnavailable");
        ResponseEntity<ProblemDetail> answer = new ApiExceptionHandler().ledgerUnavailable(failure);
        assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(answer.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNotBlank();
    }

    @Test
    void onlyATransientClusterFailureAsksToPostAgain() {
        ApiExceptionHandler handler = new ApiExceptionHandler();

        ResponseEntity<ProblemDetail> overloaded = handler.kubernetes(
                new KubernetesFailure(KubernetesFailure.Reason.TRANSIENT, "503 from the API server"));
        ResponseEntity<ProblemDetail> forbidden =
                handler.kubernetes(new KubernetesFailure(KubernetesFailure.Reason.FORBIDDEN, "pods is forbidden"));

        assertThat(overloaded.getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(overloaded.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNotBlank();
        assertThat(forbidden.getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
        assertThat(forbidden.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNull();
        assertThat(forbidden.getBody().getProperties())
                .containsEntry("code", "cluster-refused")
                .containsEntry("reason", "forbidden");
    }
}
