package dev.stanch.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's layout and entrypoint, without Docker: the built jar is extracted into layers as the
 * Dockerfile's build stage does, the layers are copied into one directory in the Dockerfile's order,
 * and the Dockerfile's ENTRYPOINT runs a CLI command from there, as {@code docker run IMAGE playbooks
 * validate …} would.
 */
class PackagingIT {

    private static final Path JAR =
            Path.of(System.getProperty("stanch.build-dir", "target")).resolve("stanch.jar");
    private static final List<String> LAYERS =
            List.of("dependencies", "spring-boot-loader", "snapshot-dependencies", "application");

    @TempDir
    Path work;

    @Test
    void theExtractedLayersRunTheCliThroughTheEntrypoint() throws Exception {
        assertThat(JAR).as("the jar, built by package before failsafe runs").isRegularFile();
        Path layers = work.resolve("layers");
        Run extract = run(
                work,
                List.of(
                        java(),
                        "-Djarmode=tools",
                        "-jar",
                        JAR.toString(),
                        "extract",
                        "--layers",
                        "--launcher",
                        "--destination",
                        layers.toString()));
        assertThat(extract.exit()).as(extract.output()).isZero();
        for (String layer : LAYERS) {
            assertThat(layers.resolve(layer)).isDirectory();
        }
        List<String> entrypoint = Packaging.entrypoint();
        String launcher = entrypoint.getLast();
        assertThat(layers.resolve("spring-boot-loader").resolve(launcher.replace('.', '/') + ".class"))
                .isRegularFile();

        // WORKDIR /app, one COPY per layer in the Dockerfile's order.
        Path app = work.resolve("app");
        for (String layer : LAYERS) {
            copy(layers.resolve(layer), app);
        }
        List<String> command = new ArrayList<>(entrypoint);
        command.set(0, java());
        command.addAll(List.of(
                "playbooks", "validate", Packaging.REPO.resolve("playbooks").toString()));
        Run valid = run(app, command);
        assertThat(valid.exit()).as(valid.output()).isZero();
        assertThat(valid.output()).contains("playbooks valid, 0 errors");

        // The arguments reach the command: an invalid playbook fails it.
        Path bad = Files.writeString(work.resolve("bad.yaml"), "apiVersion: stanch.dev/v1alpha1\nkind: Playbook\n");
        command.set(command.size() - 1, bad.toString());
        Run invalid = run(app, command);
        assertThat(invalid.exit()).as(invalid.output()).isNotZero();
        assertThat(invalid.output()).contains("bad.yaml");
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private record Run(int exit, String output) {}

    private static Run run(Path dir, List<String> command) throws Exception {
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        Process process = builder.start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
