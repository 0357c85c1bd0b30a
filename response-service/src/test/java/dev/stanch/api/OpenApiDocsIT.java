package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * docs/openapi.json is the document the service serves at /v3/api-docs, byte for byte: regenerate it
 * with {@code -Dstanch.write-docs=true} after changing the API.
 */
class OpenApiDocsIT extends ApiHarness {

    static final Path DOC = Path.of(System.getProperty("stanch.repo", "..")).resolve("docs/openapi.json");

    @Test
    void theCommittedDocumentIsTheOneServed() throws IOException {
        Response response = get("viewer", "/v3/api-docs");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        String served = response.body().strip() + "\n";

        if (Boolean.getBoolean("stanch.write-docs")) {
            Files.writeString(DOC, served);
        }
        assertThat(Files.exists(DOC))
                .as(DOC + " exists (write it with -Dstanch.write-docs=true)")
                .isTrue();
        assertThat(Files.readString(DOC))
                .as("%s is the document served at /v3/api-docs (regenerate with -Dstanch.write-docs=true)", DOC)
                .isEqualTo(served);
        assertThat(response.json().path("paths").size()).isEqualTo(14);
    }
}
