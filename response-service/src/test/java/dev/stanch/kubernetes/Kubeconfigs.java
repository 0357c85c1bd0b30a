package dev.stanch.kubernetes;

import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Kubeconfig files for a service started on its own — the sandbox, the pipeline benchmark, the tests
 * that boot the whole application — which reaches a cluster through one, as an installation would.
 */
public final class Kubeconfigs {

    private Kubeconfigs() {}

    /**
     * Writes a kubeconfig with the server, its CA (when TLS) and the token of the given client's
     * configuration; fabric8's mock server's client has neither CA nor token.
     */
    public static Path write(Path file, Config config) {
        String cluster = "    server: " + config.getMasterUrl() + "\n"
                + (config.getCaCertFile() == null ? "" : "    certificate-authority: " + config.getCaCertFile() + "\n");
        String user = config.getOauthToken() == null
                ? "  user: {}\n"
                : "  user:\n    token: " + config.getOauthToken() + "\n";
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: sandbox
                  cluster:
                %susers:
                - name: stanch
                %scontexts:
                - name: sandbox
                  context:
                    cluster: sandbox
                    user: stanch
                current-context: sandbox
                """.formatted(cluster, user);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
