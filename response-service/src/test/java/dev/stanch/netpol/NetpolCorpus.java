package dev.stanch.netpol;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The np-guard netpol-analyzer cases in the shared corpus ({@code
 * ../shared/corpus/netpol-analyzer}), found through the {@code stanch.corpus} system property that
 * the build sets. Public for the CLI tests.
 */
public final class NetpolCorpus {

    private NetpolCorpus() {}

    /**
     * One case.
     *
     * @param name the directory name
     * @param input the manifests
     * @param expectedTxt the expected connlist text, if the case has one
     * @param expectedJson the expected connlist JSON, if the case has one
     */
    public record Case(String name, Path input, Optional<Path> expectedTxt, Optional<Path> expectedJson) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The corpus root; fails with a message saying how to provide it. */
    public static Path root() {
        String property = System.getProperty("stanch.corpus");
        if (property == null || property.isBlank()) {
            throw new IllegalStateException(
                    "system property stanch.corpus is not set: run the tests through Maven, which sets it to"
                            + " ../shared/corpus beside the checkout, or pass -Dstanch.corpus=/path/to/corpus");
        }
        Path root = Path.of(property).resolve("netpol-analyzer").normalize();
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("the netpol-analyzer corpus is missing: "
                    + root
                    + " is not a directory (stanch.corpus="
                    + property
                    + "); the shared corpus must sit beside the checkout");
        }
        return root;
    }

    public static List<Case> cases() {
        try (Stream<Path> directories = Files.list(root())) {
            return directories
                    .filter(Files::isDirectory)
                    .sorted()
                    .map(directory -> {
                        String name = directory.getFileName().toString();
                        Path expected = directory.resolve("expected");
                        return new Case(
                                name,
                                directory.resolve("input"),
                                existing(expected.resolve(name + "_connlist_output.txt")),
                                existing(expected.resolve(name + "_connlist_output.json")));
                    })
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<Path> existing(Path file) {
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }
}
