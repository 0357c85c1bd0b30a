package dev.stanch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stanch.netpol.NetpolCorpus;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/** {@code stanch connectivity}: the np-guard corpus line for line, usage errors, bad input. */
class ConnectivityCommandTest {

    /**
     * Corpus cases without an upstream connlist, each with the reason and Stanch's own expectation (a
     * resource under {@code netpol/per-pod/}, see its README).
     */
    private static final Map<String, String> STANCH_EXPECTATIONS = Map.of(
            "example_pods_w_same_owner_and_labels_gap_with_bad_match_expression",
            "upstream refuses pods of one owner that a selector tells apart; Stanch lists them per pod");

    private record Run(int exitCode, String out, String err) {
        List<String> lines() {
            return out.isEmpty() ? List.of() : out.lines().toList();
        }
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = Cli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exitCode, out.toString(), err.toString());
    }

    private static List<String> expectedLines(Path file) throws IOException {
        return Files.readString(file).lines().toList();
    }

    @TestFactory
    Stream<DynamicTest> everyCorpusCaseReproducesLineForLine() {
        List<DynamicTest> tests = new ArrayList<>();
        for (NetpolCorpus.Case corpusCase : NetpolCorpus.cases()) {
            String input = corpusCase.input().toString();
            corpusCase
                    .expectedTxt()
                    .ifPresent(expected -> tests.add(DynamicTest.dynamicTest(corpusCase.name() + " (txt)", () -> {
                        Run run = run("connectivity", "--manifests", input);
                        assertThat(run.exitCode()).as(run.err()).isZero();
                        assertThat(run.lines()).isEqualTo(expectedLines(expected));
                    })));
            corpusCase
                    .expectedJson()
                    .ifPresent(expected -> tests.add(DynamicTest.dynamicTest(corpusCase.name() + " (json)", () -> {
                        Run run = run("connectivity", "--manifests", input, "--format", "json");
                        assertThat(run.exitCode()).as(run.err()).isZero();
                        assertThat(run.lines()).isEqualTo(expectedLines(expected));
                    })));
            if (corpusCase.expectedTxt().isEmpty()) {
                String reason = STANCH_EXPECTATIONS.get(corpusCase.name());
                tests.add(DynamicTest.dynamicTest(corpusCase.name() + " (Stanch's expectation: " + reason + ")", () -> {
                    if (reason == null) {
                        fail("corpus case "
                                + corpusCase.name()
                                + " has no expected connlist and no Stanch expectation: add one to"
                                + " STANCH_EXPECTATIONS with the reason");
                    }
                    Run run = run("connectivity", "--manifests", input);
                    assertThat(run.exitCode()).as(run.err()).isZero();
                    assertThat(run.lines()).isEqualTo(stanchExpectation(corpusCase.name()));
                }));
            }
        }
        return tests.stream();
    }

    private static List<String> stanchExpectation(String caseName) throws IOException {
        String resource = "/netpol/per-pod/" + caseName + "_connlist_output.txt";
        try (InputStream stream = ConnectivityCommandTest.class.getResourceAsStream(resource)) {
            if (stream == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .toList();
        }
    }

    @Test
    void podsOfOneOwnerAreOneNodeUntilASelectorTellsThemApart() {
        Path corpus = NetpolCorpus.root();
        // Same owner, different labels, but the policy's selector (app Exists) matches both: one node.
        Run alike = run(
                "connectivity",
                "--manifests",
                corpus.resolve("example_pods_w_same_owner_and_labels_gap_with_good_match_expression/input")
                        .toString());
        assertThat(alike.out()).contains("default/internal-security[Pod] => default/pod-3[Pod] : TCP 90");
        // app In (query-selector) matches pod-2 only: each pod is listed on its own.
        Run apart = run(
                "connectivity",
                "--manifests",
                corpus.resolve("example_pods_w_same_owner_and_labels_gap_with_bad_match_expression/input")
                        .toString());
        assertThat(apart.out())
                .contains("default/pod-2[Pod] => default/pod-1[Pod] : TCP 90")
                .doesNotContain("internal-security");
    }

    @Test
    void usageErrorsExitWithTwo() {
        Run missingOption = run("connectivity");
        assertThat(missingOption.exitCode()).isEqualTo(Cli.USAGE);
        assertThat(missingOption.err()).contains("Missing required option: '--manifests=DIR'");

        Run missingDirectory = run("connectivity", "--manifests", "/no/such/directory");
        assertThat(missingDirectory.exitCode()).isEqualTo(Cli.USAGE);
        assertThat(missingDirectory.err()).contains("connectivity: no such file or directory: /no/such/directory");

        Run badFormat = run("connectivity", "--manifests", ".", "--format", "dot");
        assertThat(badFormat.exitCode()).isEqualTo(Cli.USAGE);
        assertThat(badFormat.err()).contains("'dot' is not txt or json");

        assertThat(run("connectivity", "--help").exitCode()).isEqualTo(Cli.OK);
    }

    @Test
    void badManifestsAreSkippedWithAWarningNamingFileAndDocument(@TempDir Path directory) throws IOException {
        Files.writeString(directory.resolve("good.yaml"), """
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: ns, labels: {app: a}}
        spec: {containers: [{name: c, image: i}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: b, namespace: ns, labels: {app: b}}
        spec: {containers: [{name: c, image: i}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: b, namespace: ns}
        spec:
          podSelector: {matchLabels: {app: b}}
          ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: 80}]}]
        """);
        Files.writeString(directory.resolve("broken.yaml"), """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all, namespace: ns}
        spec:
          podSelector: {matchExpressions: [{key: app, operator: Is, values: [a]}]}
        ---
        apiVersion: example.com/v1
        kind: Widget
        metadata: {name: w}
        ---
        {{{ not yaml
        """);
        Files.writeString(directory.resolve("empty.json"), "");
        Files.writeString(directory.resolve("array.json"), "[1, 2, 3]");

        Run run = run("connectivity", "--manifests", directory.toString());
        assertThat(run.exitCode()).isEqualTo(Cli.OK);
        assertThat(run.lines())
                .containsExactly(
                        "0.0.0.0-255.255.255.255[External] => ns/a[Pod] : All Connections",
                        "ns/a[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
                        "ns/a[Pod] => ns/b[Pod] : TCP 80",
                        "ns/b[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
                        "ns/b[Pod] => ns/a[Pod] : All Connections");
        Path broken = directory.resolve("broken.yaml");
        assertThat(run.err().lines())
                .containsExactly(
                        "warning: "
                                + directory.resolve("array.json")
                                + ": document 1: not a Kubernetes object; skipped",
                        "warning: "
                                + broken
                                + ": document 1 (NetworkPolicy ns/deny-all): spec.podSelector.matchExpressions[0]:"
                                + " unknown operator 'Is' (In, NotIn, Exists, DoesNotExist); skipped",
                        "warning: "
                                + broken
                                + ": document 2 (Widget w): example.com/v1 Widget is not a kind the policy engine"
                                + " evaluates; skipped",
                        "warning: "
                                + broken
                                + ": document 3 and after: not valid YAML (while parsing a flow"
                                + " mapping); skipped");
    }

    @Test
    void noWorkloadsMeansAnEmptyList(@TempDir Path directory) {
        assertThat(run("connectivity", "--manifests", directory.toString()).out())
                .isEmpty();
        Run json = run("connectivity", "--manifests", directory.toString(), "--format", "JSON");
        assertThat(json.exitCode()).isZero();
        assertThat(json.lines()).containsExactly("[]");
    }

    @Test
    void jsonUsesNpGuardsFieldsAndLayout() {
        Path input = NetpolCorpus.root().resolve("netpol-analysis-example-minimal/input");
        Run run = run("connectivity", "--manifests", input.toString(), "--format", "json");
        assertThat(run.out())
                .startsWith("[\n  {\n    \"src\": \"0.0.0.0-255.255.255.255[External]\",\n")
                .endsWith("  }\n]\n");
    }
}
