package dev.stanch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code stanch normalize} on corpus files: the JSON lines it prints and its exit codes. */
class NormalizeCommandTest {

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static String corpus(String relative) {
        return CliRun.corpus(relative);
    }

    @Test
    void aDetectionIsPrintedWithTheDocumentedNames() {
        String file = corpus("falco-events/falco-talon-example-03.json");
        CliRun run = run("normalize", file);
        assertThat(run.exitCode()).isEqualTo(Cli.OK);
        assertThat(run.err()).isEmpty();
        assertThat(run.lines()).hasSize(1);
        JsonNode line = run.lines().getFirst();
        assertThat(line.propertyNames()).containsExactly("file", "detection");
        assertThat(line.get("file").stringValue()).isEqualTo(file);
        JsonNode detection = line.get("detection");
        assertThat(detection.propertyNames())
                .containsExactly("id", "source", "rule", "severity", "time", "target", "connection", "fields");
        assertThat(detection.get("source").stringValue()).isEqualTo("falco");
        assertThat(detection.get("severity").stringValue()).isEqualTo("critical");
        assertThat(detection.get("time").stringValue()).isEqualTo("2019-05-17T15:31:56.746609046Z");
        assertThat(detection.at("/target/namespace").stringValue()).isEqualTo("default");
        assertThat(detection.at("/target/pod").stringValue()).isEqualTo("static-web");
        assertThat(detection.at("/connection/peerIp").stringValue()).isEqualTo("8.8.8.8");
        assertThat(detection.at("/connection/peerPort").isIntegralNumber()).isTrue();
        assertThat(detection.at("/connection/peerPort").intValue()).isEqualTo(8888);
        assertThat(detection.at("/connection/direction").stringValue()).isEqualTo("egress");
    }

    @Test
    void anIgnoredEventIsNotAFinding() {
        String file = corpus("falco-events/non-detection/falco-website-017.json");
        CliRun run = run("normalize", file);
        assertThat(run.exitCode()).isEqualTo(Cli.OK);
        JsonNode line = run.lines().getFirst();
        assertThat(line.propertyNames()).containsExactly("file", "ignored");
        assertThat(line.get("ignored").stringValue()).startsWith("Falco internal event");
    }

    @Test
    void aRejectedEventIsAFinding() {
        String ok = corpus("kubearmor-alerts/kubearmor-003.json");
        String host = corpus("kubearmor-alerts/kubearmor-001.json");
        CliRun run = run("normalize", ok, host);
        assertThat(run.exitCode()).isEqualTo(Cli.FINDINGS);
        assertThat(run.lines()).hasSize(2);
        assertThat(run.lines().get(0).has("detection")).isTrue();
        assertThat(run.lines().get(1).get("file").stringValue()).isEqualTo(host);
        assertThat(run.lines().get(1).get("rejected").stringValue())
                .isEqualTo("no pod to act on: a host event (Type 'MatchedHostPolicy', HostName 'pandora')");
    }

    @Test
    void jsonlFilesGiveOneLinePerEventWithItsLineNumber() {
        String file = corpus("tetragon-events/tetragon-testdata-events.jsonl");
        CliRun run = run("normalize", file);
        assertThat(run.exitCode()).isEqualTo(Cli.OK);
        assertThat(run.lines()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode line = run.lines().get(i);
            assertThat(line.propertyNames()).containsExactly("file", "line", "detection");
            assertThat(line.get("line").intValue()).isEqualTo(i + 1);
        }
        assertThat(run.lines().get(1).at("/detection/target/pod").stringValue())
                .isEqualTo("deathstar-6f87496b94-qdlh8");
    }

    @Test
    void aDirectoryIsReadRecursivelyInSortedOrderSkippingNonEvents() {
        String dir = corpus("falco");
        CliRun run = run("normalize", dir);
        // falco/ holds three events and SOURCES.md; one event has no pod
        assertThat(run.exitCode()).isEqualTo(Cli.FINDINGS);
        assertThat(run.lines())
                .extracting(line -> line.get("file").stringValue())
                .containsExactly(
                        dir + "/derived-falcosidekick-kafka-value-networkpolicy.json",
                        dir + "/falcosidekick-readme-write-below-binary-dir.json",
                        dir + "/talon-examples-test-networkpolicy.json");
        assertThat(run.lines().get(1).get("rejected").stringValue())
                .isEqualTo("no pod to act on: k8s.ns.name and k8s.pod.name are missing");
    }

    @Test
    void theWholeCorpusIsOneLinePerEvent() {
        CliRun run = run(
                "normalize",
                corpus("falco-events"),
                corpus("falco"),
                corpus("tetragon-events"),
                corpus("kubearmor-alerts"));
        assertThat(run.exitCode()).isEqualTo(Cli.FINDINGS);
        assertThat(run.err()).isEmpty();
        assertThat(run.lines()).hasSize(115);
        assertThat(run.lines())
                .allSatisfy(line -> assertThat(line.has("detection") || line.has("ignored") || line.has("rejected"))
                        .isTrue());
    }

    @Test
    void anUnreadableEventFileIsRejectedNotAnError(@TempDir Path dir) throws IOException {
        Path events = dir.resolve("mixed.jsonl");
        Files.writeString(
                events,
                Files.readString(Path.of(corpus("falco/derived-falcosidekick-kafka-value-networkpolicy.json")))
                                .strip()
                        + "\n\nnot json\n[]\n");
        CliRun run = run("normalize", events.toString());
        assertThat(run.exitCode()).isEqualTo(Cli.FINDINGS);
        assertThat(run.lines()).extracting(line -> line.get("line").intValue()).containsExactly(1, 3, 4);
        assertThat(run.lines().get(1).get("rejected").stringValue()).startsWith("not JSON: ");
        assertThat(run.lines().get(2).get("rejected").stringValue())
                .isEqualTo("not an event: expected a JSON object, got an array");
    }

    @Test
    void noPathIsAUsageError() {
        CliRun run = run("normalize");
        assertThat(run.exitCode()).isEqualTo(Cli.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("Missing required parameter").contains("PATH");
    }

    @Test
    void aMissingFileIsAUsageErrorAndNothingIsPrinted() {
        CliRun run = run("normalize", corpus("falco-events/falco-talon-example-01.json"), "/no/such/event.json");
        assertThat(run.exitCode()).isEqualTo(Cli.USAGE);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("normalize: no such file or directory: /no/such/event.json");
    }

    @Test
    void helpDescribesTheCommand() {
        CliRun run = run("normalize", "--help");
        assertThat(run.exitCode()).isEqualTo(Cli.OK);
        assertThat(run.out())
                .contains("Usage: stanch normalize")
                .contains("PATH")
                .contains("Exit codes:");
        assertThat(run("--help").out()).contains("normalize");
    }
}
