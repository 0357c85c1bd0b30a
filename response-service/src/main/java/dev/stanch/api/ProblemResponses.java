package dev.stanch.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;
import tools.jackson.databind.json.JsonMapper;

/**
 * Problem details written outside Spring MVC: by the security filters (401, 403) and the body-size
 * filter (413), before any controller runs. The same members as {@link ApiExceptionHandler}'s.
 */
final class ProblemResponses {

    private final JsonMapper json;
    private final boolean bearer;

    /**
     * @param bearer whether bearer tokens are accepted, so that a 401 names that scheme too
     */
    ProblemResponses(JsonMapper json, boolean bearer) {
        this.json = json;
        this.bearer = bearer;
    }

    /** 401: no credentials, bad credentials, or a token that is expired, forged or from another issuer. */
    AuthenticationEntryPoint entryPoint() {
        return (request, response, failure) -> {
            String detail = detail(failure);
            response.addHeader(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"stanch\"");
            if (bearer) {
                response.addHeader(
                        HttpHeaders.WWW_AUTHENTICATE,
                        failure instanceof OAuth2AuthenticationException
                                ? "Bearer error=\"invalid_token\", error_description=\"" + detail.replace("\"", "'")
                                        + "\""
                                : "Bearer");
            }
            write(
                    request,
                    response,
                    ApiProblem.problem(HttpStatus.UNAUTHORIZED, "unauthenticated", "Authentication required", detail));
        };
    }

    private static String detail(AuthenticationException failure) {
        if (failure instanceof OAuth2AuthenticationException oauth) {
            String description = oauth.getError().getDescription();
            return "the bearer token was refused: " + (description != null ? description : oauth.getMessage());
        }
        if (failure instanceof org.springframework.security.authentication.BadCredentialsException) {
            return "wrong user name or password";
        }
        return "this endpoint needs credentials: HTTP Basic (a local user) or a bearer token";
    }

    /** 403: authenticated, without a role the endpoint needs. */
    AccessDeniedHandler accessDenied() {
        return (request, response, denied) -> write(request, response, forbidden(request, denied));
    }

    private static ProblemDetail forbidden(HttpServletRequest request, AccessDeniedException denied) {
        String who = request.getUserPrincipal() == null
                ? "the caller"
                : request.getUserPrincipal().getName();
        return ApiProblem.problem(
                HttpStatus.FORBIDDEN,
                "forbidden",
                "Forbidden",
                who + " has no role that may " + request.getMethod() + " " + request.getRequestURI()
                        + " (docs/api.md lists the roles of each endpoint)");
    }

    void write(HttpServletRequest request, HttpServletResponse response, ProblemDetail problem) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", problem.getType().toString());
        body.put("title", problem.getTitle());
        body.put("status", problem.getStatus());
        body.put("detail", problem.getDetail());
        body.put("instance", request.getRequestURI());
        if (problem.getProperties() != null) {
            body.putAll(problem.getProperties());
        }
        response.setStatus(problem.getStatus());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        json.writeValue(response.getOutputStream(), body);
    }
}
