package dev.stanch.api;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;

/**
 * The OpenAPI document ({@code /v3/api-docs}, Swagger UI at {@code /swagger-ui.html}; committed as
 * docs/openapi.json): both ways in as security schemes, and on every operation the problem details
 * it can answer with.
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiConfiguration {

    static final String PROBLEM = "Problem";

    @Bean
    OpenAPI stanchOpenApi() {
        Schema<?> problem = new Schema<>()
                .type("object")
                .description("An RFC 9457 problem detail; code names the problem (docs/api.md lists them)")
                .addProperty("type", new Schema<>().type("string").format("uri"))
                .addProperty("title", new Schema<>().type("string"))
                .addProperty("status", new Schema<>().type("integer"))
                .addProperty("detail", new Schema<>().type("string"))
                .addProperty("instance", new Schema<>().type("string").format("uri"))
                .addProperty("code", new Schema<>().type("string"));
        return new OpenAPI()
                .info(new Info()
                        .title("Stanch API")
                        .version("v1")
                        .description("Actions and people's decisions on them, the HTTP intake of detections,"
                                + " simulations, playbooks, the audit chain and the pause switch. Errors are RFC"
                                + " 9457 problem details (application/problem+json). docs/api.md has the roles"
                                + " of each endpoint and examples."))
                // Relative: the document is served by, and committed for, any host.
                .servers(List.of(new Server().url("/")))
                .components(new Components()
                        .addSchemas(PROBLEM, problem)
                        .addSecuritySchemes(
                                "basic",
                                new SecurityScheme()
                                        .type(SecurityScheme.Type.HTTP)
                                        .scheme("basic")
                                        .description("a local user (stanch.security.users)"))
                        .addSecuritySchemes(
                                "bearer",
                                new SecurityScheme()
                                        .type(SecurityScheme.Type.HTTP)
                                        .scheme("bearer")
                                        .bearerFormat("JWT")
                                        .description("an OIDC/JWT access token with Stanch roles in its roles claim")))
                .addSecurityItem(new SecurityRequirement().addList("basic"))
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }

    /** The problems every operation may answer, and those its shape says it may (404, 409, 413…). */
    @Bean
    OperationCustomizer problemResponses() {
        return (operation, handler) -> {
            Map<String, String> problems = new LinkedHashMap<>();
            problems.put("400", "invalid request: the detail names the parameter or field");
            problems.put("401", "no credentials, or they were refused");
            problems.put("403", "the caller has no role that may do this");
            boolean hasId = java.util.Arrays.stream(handler.getMethodParameters())
                    .anyMatch(parameter -> parameter.hasParameterAnnotation(PathVariable.class));
            if (hasId) {
                problems.put("404", "no such action");
            }
            boolean post = handler.hasMethodAnnotation(PostMapping.class);
            if (post && hasId) {
                problems.put("409", "the action cannot make this move: reason says why");
            }
            boolean body = java.util.Arrays.stream(handler.getMethodParameters())
                    .anyMatch(parameter -> parameter.hasParameterAnnotation(RequestBody.class));
            if (body) {
                problems.put("413", "the body is over stanch.api.max-body-size");
                problems.put("415", "the Content-Type is not one this endpoint reads");
            }
            String name = handler.getMethod().getName();
            if (handler.getBeanType() == DetectionsController.class
                    || handler.getBeanType() == SimulationsController.class) {
                problems.put("503", "the cluster or the ledger cannot be reached; nothing was stored (Retry-After)");
            }
            if (handler.getBeanType() == PlaybooksController.class && name.equals("reload")) {
                problems.put("409", "the playbooks are not loaded from a directory");
            }
            problems.put("500", "an unexpected failure; the log has the details under errorId");
            ApiResponses responses = operation.getResponses() == null ? new ApiResponses() : operation.getResponses();
            problems.forEach((status, description) -> {
                if (!responses.containsKey(status)) {
                    responses.addApiResponse(
                            status,
                            new ApiResponse()
                                    .description(description)
                                    .content(new Content()
                                            .addMediaType(
                                                    org.springframework.http.MediaType.APPLICATION_PROBLEM_JSON_VALUE,
                                                    new MediaType()
                                                            .schema(new Schema<>()
                                                                    .$ref("#/components/schemas/" + PROBLEM)))));
                }
            });
            operation.setResponses(responses);
            return operation;
        };
    }
}
