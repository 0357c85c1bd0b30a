package dev.stanch.packaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.json.JsonMapper;

/**
 * The packaging files as the tests read them: the Dockerfile's instructions, compose, the chart. The
 * pipeline benchmark starts Stanch with the image's entrypoint flags from here too.
 */
public final class Packaging {

    static final Path REPO = Path.of(System.getProperty("stanch.repo", ".."));
    static final Path DOCKERFILE = REPO.resolve("response-service/Dockerfile");
    static final Path COMPOSE = REPO.resolve("docker-compose.yml");

    private Packaging() {}

    /** The Dockerfile's instructions, continuation lines joined and comments left out. */
    static List<String> instructions() {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : read(DOCKERFILE).split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && current.isEmpty())) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
            } else {
                result.add(current.append(trimmed).toString().strip());
                current.setLength(0);
            }
        }
        return result;
    }

    /** The arguments of every instruction of this name (e.g. {@code USER}), in order. */
    static List<String> instruction(String name) {
        return instructions().stream()
                .filter(i -> i.startsWith(name + " "))
                .map(i -> i.substring(name.length() + 1).strip())
                .toList();
    }

    /** The last ENTRYPOINT, which must be in exec form (a JSON array). */
    public static List<String> entrypoint() {
        List<String> entrypoints = instruction("ENTRYPOINT");
        String last = entrypoints.getLast();
        if (!last.startsWith("[")) {
            throw new AssertionError("ENTRYPOINT is not in exec form (a JSON array): " + last);
        }
        return Arrays.asList(JsonMapper.builder().build().readValue(last, String[].class));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> yaml(Path file) {
        return (Map<String, Object>) new Yaml().load(read(file));
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
