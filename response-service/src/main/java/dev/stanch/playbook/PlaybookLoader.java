package dev.stanch.playbook;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Loads playbooks from files and directories (recursively: every {@code .yaml} and {@code .yml}
 * file, in name order), validates each and the set as a whole (names are unique across files). Each
 * YAML document is all or nothing: a playbook with an error is left out and the error reported,
 * while the other documents of the same file still load (a YAML syntax error ends the file).
 */
public final class PlaybookLoader {

    private final PlaybookParser parser = new PlaybookParser(new Conditions());

    /**
     * Loads every playbook under the given paths.
     *
     * @throws NoSuchFileException when a given path does not exist (a usage error, not a finding)
     */
    public PlaybookSet load(List<Path> paths) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path path : paths) {
            if (!Files.exists(path)) {
                throw new NoSuchFileException(path.toString(), null, "no such file or directory");
            }
            if (Files.isDirectory(path)) {
                files(path).stream().filter(PlaybookLoader::isYaml).forEach(files::add);
            } else {
                files.add(path);
            }
        }
        List<Playbook> playbooks = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        for (Path file : files) {
            String name = file.toString();
            String content;
            try {
                // readString refuses malformed input (a CharacterCodingException) rather than guess
                content = Files.readString(file, StandardCharsets.UTF_8);
            } catch (CharacterCodingException e) {
                problems.add(new Problem(name, 1, "", Problem.Level.ERROR, "not UTF-8 text"));
                continue;
            } catch (IOException e) {
                problems.add(new Problem(name, 1, "", Problem.Level.ERROR, "cannot read: " + e));
                continue;
            }
            PlaybookParser.Parsed parsed = parser.parse(name, content);
            playbooks.addAll(parsed.playbooks());
            problems.addAll(parsed.problems());
        }
        return checked(playbooks, problems);
    }

    /** Parses one document's text, e.g. a playbook submitted for validation. */
    public PlaybookSet parse(String file, String content) {
        PlaybookParser.Parsed parsed = parser.parse(file, content);
        return checked(parsed.playbooks(), new ArrayList<>(parsed.problems()));
    }

    private static PlaybookSet checked(List<Playbook> playbooks, List<Problem> problems) {
        Map<String, Playbook> byName = new HashMap<>();
        List<Playbook> unique = new ArrayList<>();
        for (Playbook playbook : playbooks) {
            Playbook first = byName.putIfAbsent(playbook.name(), playbook);
            if (first == null) {
                unique.add(playbook);
            } else {
                problems.add(new Problem(
                        playbook.file(),
                        playbook.line(),
                        "metadata.name",
                        Problem.Level.ERROR,
                        "duplicate playbook name \""
                                + playbook.name()
                                + "\" (also in "
                                + first.file()
                                + ":"
                                + first.line()
                                + ")"));
            }
        }
        return new PlaybookSet(unique, problems);
    }

    /**
     * The files below a directory, in name order, without hidden ones: nothing whose name, or the name
     * of a directory between it and {@code directory}, starts with a dot. A ConfigMap mounted as a
     * volume holds each file twice: the kubelet writes the real files into a {@code ..<timestamp>}
     * directory and shows them through symbolic links ({@code name.yaml -> ..data/name.yaml}) that it
     * swaps atomically on a change. Only the links are the directory's content; the hidden copies
     * would load every playbook twice. Links are followed to regular files, not into directories.
     */
    static List<Path> files(Path directory) throws IOException {
        try (Stream<Path> walk = Files.walk(directory)) {
            return walk.filter(Files::isRegularFile)
                    .filter(file -> !isHidden(directory.relativize(file)))
                    .sorted()
                    .toList();
        }
    }

    private static boolean isHidden(Path relative) {
        for (Path name : relative) {
            if (name.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isYaml(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }
}
