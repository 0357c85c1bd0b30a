package dev.stanch.cli;

import static org.assertj.core.api.Assertions.fail;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** One CLI run in-process, with what it printed; and where the tests' inputs live. */
record CliRun(int exitCode, String out, String err) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(exitCode, out.toString(), err.toString());
    }

    List<JsonNode> lines() {
        return out.lines().map(JSON::readTree).toList();
    }

    /** A path in the shared corpus; fails the test when the corpus is missing. */
    static String corpus(String relative) {
        return existing("stanch.corpus", relative);
    }

    /** A path in this repository, e.g. {@code playbooks}. */
    static String repo(String relative) {
        return existing("stanch.repo", relative);
    }

    private static String existing(String property, String relative) {
        String root = System.getProperty(property);
        if (root == null) {
            fail("system property " + property + " is not set: run the tests through Maven");
        }
        Path path = Path.of(root, relative);
        if (!Files.exists(path)) {
            fail("missing " + path);
        }
        return path.toString();
    }
}
