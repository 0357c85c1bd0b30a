package dev.stanch.playbook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The playbooks the service acts on, reloadable while it runs. A reload swaps in the new set only
 * when every file is valid: one broken file must not take the other playbooks down, so the last
 * good set stays in force and the failed attempt is kept, with its problems, for people to see.
 */
public final class PlaybookCatalog {

    /** The set in force, and when it was loaded. */
    public record Loaded(PlaybookSet set, PlaybookEngine engine, Instant at) {

        public Loaded {
            Objects.requireNonNull(set, "set");
            Objects.requireNonNull(engine, "engine");
            Objects.requireNonNull(at, "at");
        }

        public List<Playbook> playbooks() {
            return set.playbooks();
        }
    }

    /** A reload that was refused: the set in force did not change. */
    public record Refused(Instant at, List<Problem> problems) {

        public Refused {
            Objects.requireNonNull(at, "at");
            problems = List.copyOf(problems);
        }
    }

    private final @Nullable Path directory;
    private final Clock clock;
    private final PlaybookLoader loader = new PlaybookLoader();
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private final AtomicReference<@Nullable Refused> lastRefused = new AtomicReference<>();
    /** What the directory looked like at the last reload: files with their sizes and change times. */
    private final AtomicReference<String> lastSeen = new AtomicReference<>("");

    private PlaybookCatalog(@Nullable Path directory, Clock clock, PlaybookSet initial, String seen) {
        this.directory = directory;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.current.set(loaded(initial));
        this.lastSeen.set(seen);
    }

    /**
     * Loads the playbooks under a directory (recursively, every {@code .yaml} and {@code .yml}).
     *
     * @throws InvalidPlaybooksException when a file has an error: the service refuses to start on
     *     playbooks it cannot read, rather than run with fewer than its operators wrote
     * @throws IOException when the directory cannot be read
     */
    public static PlaybookCatalog load(Path directory, Clock clock) throws IOException {
        // Looked at before reading: a change made while loading is seen by the next check.
        String seen = fingerprint(directory);
        PlaybookSet set = new PlaybookLoader().load(List.of(directory));
        if (!set.isValid()) {
            throw new InvalidPlaybooksException(directory, set.errors());
        }
        return new PlaybookCatalog(directory, clock, set, seen);
    }

    /** A fixed set, for tests and for a service given its playbooks in code. */
    public static PlaybookCatalog of(PlaybookSet set, Clock clock) {
        if (!set.isValid()) {
            throw new InvalidPlaybooksException(null, set.errors());
        }
        return new PlaybookCatalog(null, clock, set, "");
    }

    /** The set in force. */
    public Loaded current() {
        return current.get();
    }

    /** The engine of the set in force: what the intake decides with. */
    public PlaybookEngine engine() {
        return current.get().engine();
    }

    /** The last reload that was refused, while no later reload has succeeded. */
    public Optional<Refused> lastRefused() {
        return Optional.ofNullable(lastRefused.get());
    }

    /**
     * Reads the directory again. A valid set replaces the one in force; otherwise nothing changes
     * and the problems are returned (and kept, see {@link #lastRefused()}).
     *
     * @return the problems of a refused reload; empty when the new set is in force
     * @throws IllegalStateException when this catalog was not loaded from a directory
     */
    public List<Problem> reload() {
        if (directory == null) {
            throw new IllegalStateException("this catalog has a fixed set of playbooks: nothing to reload");
        }
        PlaybookSet set;
        try {
            set = loader.load(List.of(directory));
        } catch (IOException e) {
            set = new PlaybookSet(
                    List.of(),
                    List.of(new Problem(directory.toString(), 1, "", Problem.Level.ERROR, "cannot read: " + e)));
        }
        if (!set.isValid()) {
            Refused refused = new Refused(clock.instant(), set.errors());
            lastRefused.set(refused);
            return refused.problems();
        }
        current.set(loaded(set));
        lastRefused.set(null);
        return List.of();
    }

    /**
     * Reloads when a file under the directory was added, removed or changed since the last reload
     * (by size and modification time), so that a periodic check costs a directory listing.
     *
     * @return empty when nothing changed; else the reload's problems (empty when it took effect)
     */
    public Optional<List<Problem>> reloadIfChanged() {
        if (directory == null) {
            return Optional.empty();
        }
        String seen = fingerprint(directory);
        if (seen.equals(lastSeen.getAndSet(seen))) {
            return Optional.empty();
        }
        return Optional.of(reload());
    }

    private static String fingerprint(Path directory) {
        try {
            // The loader's own listing: a change the loader would not see is no change.
            return PlaybookLoader.files(directory).stream()
                    .map(file -> {
                        try {
                            return file + ":" + Files.size(file) + ":"
                                    + Files.getLastModifiedTime(file).toMillis();
                        } catch (IOException e) {
                            return file + ":unreadable";
                        }
                    })
                    .collect(Collectors.joining("\n"));
        } catch (IOException | UncheckedIOException e) {
            // Unreadable now: a change, which the reload reports as a problem.
            return "unreadable:" + e;
        }
    }

    private Loaded loaded(PlaybookSet set) {
        return new Loaded(set, new PlaybookEngine(set.playbooks()), clock.instant());
    }

    /** Playbooks with errors, refused as a whole; the message lists each with file, line and field. */
    public static final class InvalidPlaybooksException extends IllegalArgumentException {

        private final List<Problem> problems;

        InvalidPlaybooksException(@Nullable Path directory, List<Problem> problems) {
            super(message(directory, problems));
            this.problems = List.copyOf(problems);
        }

        public List<Problem> problems() {
            return problems;
        }

        private static String message(@Nullable Path directory, List<Problem> problems) {
            StringBuilder text = new StringBuilder("invalid playbooks");
            if (directory != null) {
                text.append(" in ").append(directory);
            }
            text.append(" (")
                    .append(problems.size())
                    .append(problems.size() == 1 ? " error" : " errors")
                    .append("):");
            problems.forEach(
                    problem -> text.append(System.lineSeparator()).append("  ").append(problem));
            return text.toString();
        }
    }
}
