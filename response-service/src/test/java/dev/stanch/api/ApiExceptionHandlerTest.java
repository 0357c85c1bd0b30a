package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.web.context.request.ServletWebRequest;

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
}
