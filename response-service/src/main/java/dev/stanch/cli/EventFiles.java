package dev.stanch.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * Raw events from files as the CLI takes them: a file holds one JSON event, a {@code .jsonl} file
 * one event per non-blank line, a directory its {@code .json} and {@code .jsonl} files below it, in
 * sorted order. Other files in a directory (a README, SOURCES.md) are not events, and reporting
 * them as rejected would only be noise. Content stays bytes: deciding what is readable is the
 * normalizer's job.
 */
final class EventFiles {

    /**
     * One raw event and where it came from.
     *
     * @param file the path as the user gave it, or for a file found in a directory, the directory
     *     as given joined with the file's relative path
     * @param line the 1-based line in a {@code .jsonl} file; null for single-event files
     * @param content the event's bytes
     */
    record RawEvent(String file, @Nullable Integer line, byte[] content) {
        String location() {
            return line == null ? file : file + ":" + line;
        }
    }

    /** A path the user gave that cannot be used; its message names the path. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    private EventFiles() {}

    static List<RawEvent> read(List<String> paths) throws UsageException {
        List<RawEvent> events = new ArrayList<>();
        for (String given : paths) {
            Path path;
            try {
                path = Path.of(given);
            } catch (InvalidPathException e) {
                throw new UsageException("not a path: " + given);
            }
            if (!Files.exists(path)) {
                throw new UsageException("no such file or directory: " + given);
            }
            if (!Files.isReadable(path)) {
                throw new UsageException("not readable: " + given);
            }
            try {
                for (Shown file : files(path, given)) {
                    read(file, events);
                }
            } catch (IOException | UncheckedIOException e) {
                throw new UsageException("cannot read " + given + ": " + e.getMessage());
            }
        }
        return events;
    }

    private record Shown(Path path, String shown) {}

    private static List<Shown> files(Path path, String given) throws IOException {
        if (!Files.isDirectory(path)) {
            return List.of(new Shown(path, given));
        }
        String prefix = given.endsWith("/") ? given : given + "/";
        try (Stream<Path> walk = Files.walk(path)) {
            return walk.filter(Files::isRegularFile)
                    .filter(file -> !file.getFileName().toString().startsWith("."))
                    .filter(file -> isEventFile(file) || isJsonLines(file))
                    .map(path::relativize)
                    .sorted()
                    .map(relative -> new Shown(path.resolve(relative), prefix + relative))
                    .toList();
        }
    }

    private static void read(Shown file, List<RawEvent> events) throws IOException {
        byte[] content = Files.readAllBytes(file.path());
        if (!isJsonLines(file.path())) {
            events.add(new RawEvent(file.shown(), null, content));
            return;
        }
        int lineNumber = 0;
        int start = 0;
        while (start < content.length) {
            int end = start;
            while (end < content.length && content[end] != '\n') {
                end++;
            }
            lineNumber++;
            byte[] line = Arrays.copyOfRange(content, start, end);
            if (!new String(line, StandardCharsets.UTF_8).isBlank()) {
                events.add(new RawEvent(file.shown(), lineNumber, line));
            }
            start = end + 1;
        }
    }

    private static boolean isEventFile(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
    }

    private static boolean isJsonLines(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl");
    }
}
