package dev.stanch.detection;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The shared corpus of real detector events (../shared/corpus, README.md there): found through the
 * {@code stanch.corpus} system property, which the build sets. Missing is a failure, never a skip:
 * these events are the tests.
 */
final class Corpus {

    /** The detector folders whose every event is a test case. */
    static final List<String> DETECTOR_FOLDERS =
            List.of("falco-events", "falco", "tetragon-events", "kubearmor-alerts");

    /**
     * One event: a file, or a line of a .jsonl file.
     *
     * @param key the path under the corpus, with {@code :line} for a .jsonl line
     * @param json the event's text
     */
    record Event(String key, String json) {
        @Override
        public String toString() {
            return key;
        }
    }

    private Corpus() {}

    static Path root() {
        String property = System.getProperty("stanch.corpus");
        if (property == null || property.isBlank()) {
            fail("system property stanch.corpus is not set: run the tests through Maven (the pom points it"
                    + " at ../shared/corpus) or pass -Dstanch.corpus=/path/to/shared/corpus");
        }
        Path root = Path.of(property).toAbsolutePath().normalize();
        for (String folder : DETECTOR_FOLDERS) {
            if (!Files.isDirectory(root.resolve(folder))) {
                fail("the shared corpus is missing " + root.resolve(folder) + " (stanch.corpus=" + property + ")");
            }
        }
        return root;
    }

    static Path file(String relative) {
        return root().resolve(relative);
    }

    static String read(String relative) {
        try {
            return Files.readString(file(relative), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every event of the detector folders, in path order; .md files are documentation. */
    static List<Event> events() {
        Path root = root();
        List<Event> events = new ArrayList<>();
        for (String folder : DETECTOR_FOLDERS) {
            try (Stream<Path> walk = Files.walk(root.resolve(folder))) {
                for (Path file : walk.filter(Files::isRegularFile).sorted().toList()) {
                    String key = root.relativize(file).toString().replace('\\', '/');
                    if (key.endsWith(".md")) {
                        continue;
                    }
                    String text = Files.readString(file, StandardCharsets.UTF_8);
                    if (key.endsWith(".jsonl")) {
                        List<String> lines = text.lines().toList();
                        for (int i = 0; i < lines.size(); i++) {
                            if (!lines.get(i).isBlank()) {
                                events.add(new Event(key + ":" + (i + 1), lines.get(i)));
                            }
                        }
                    } else {
                        events.add(new Event(key, text));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return events;
    }
}
