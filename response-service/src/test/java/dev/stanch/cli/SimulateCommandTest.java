package dev.stanch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/** {@code stanch simulate}: real detector events through the shipped playbooks. */
class SimulateCommandTest {

    private static CliRun simulate(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "simulate";
        all[1] = "--playbooks";
        all[2] = CliRun.repo("playbooks");
        System.arraycopy(args, 0, all, 3, args.length);
        return CliRun.of(all);
    }

    private static String testEvent(String name) {
        return Path.of("src/test/resources/events", name).toString();
    }

    /** Each shipped playbook answers a real event of the rules it names, with its first stage. */
    @ParameterizedTest
    @CsvSource({
        "tetragon-events/runtime-radar-CS_RT_DOWNLOAD_TOOLS.json, outbound-c2, cut-connection, block-connection",
        "falco-events/falco-website-008.json, terminal-shell, ask-to-isolate, quarantine-pod",
        "tetragon-events/runtime-radar-CS_RT_REVERSE_SHELL_CREATE.json, reverse-shell, isolate, quarantine-pod",
        "tetragon-events/runtime-radar-CS_RT_K8S_SA_TOKEN_READ.json, serviceaccount-token-read, strip-credentials,"
                + " revoke-token",
        "kubearmor-alerts/kubearmor-015.json, serviceaccount-token-read, strip-credentials, revoke-token",
        "kubearmor-alerts/kubearmor-049.json, serviceaccount-token-read, strip-credentials, revoke-token",
    })
    void eachShippedPlaybookAnswersARealEvent(String event, String playbook, String stage, String kind) {
        CliRun run = simulate("--format", "json", "--events", CliRun.corpus(event));

        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode line = run.lines().getFirst();
        assertThat(line.path("playbook").asString()).isEqualTo(playbook);
        assertThat(line.path("stage").asString()).isEqualTo(stage);
        assertThat(line.path("action").path("kind").asString()).isEqualTo(kind);
        assertThat(line.path("action").path("target").path("pod").asString())
                .isEqualTo(line.path("detection").path("target").path("pod").asString());
    }

    @Test
    void theApiServerPlaybookStripsCredentialsFirst() {
        CliRun run = simulate("--format", "json", "--events", testEvent("falco-contact-k8s-api.json"));

        JsonNode line = run.lines().getFirst();
        assertThat(line.path("playbook").asString()).isEqualTo("k8s-api-from-container");
        assertThat(line.path("action").path("kind").asString()).isEqualTo("revoke-token");
        assertThat(line.path("action").path("target").path("namespace").asString())
                .isEqualTo("shop");
        assertThat(line.path("action").path("expireAfter").asString()).isEqualTo("2h");
    }

    @Test
    void aBlockResolvesTheFlowFromTheDetection() {
        CliRun run = simulate(
                "--format",
                "json",
                "--events",
                CliRun.corpus("tetragon-events/runtime-radar-CS_RT_DOWNLOAD_TOOLS.json"));

        JsonNode action = run.lines().getFirst().path("action");
        assertThat(action.path("params").path("peerIp").asString()).isEqualTo("140.82.121.4");
        assertThat(action.path("params").path("peerPort").asInt()).isEqualTo(443);
        assertThat(action.path("params").path("direction").asString()).isEqualTo("egress");
        assertThat(action.path("params").path("protocol").asString()).isEqualTo("tcp");
        assertThat(action.path("params").path("granularity").asString()).isEqualTo("port");
        assertThat(action.path("approval").asString()).isEqualTo("auto");
        assertThat(action.path("expireAfter").asString()).isEqualTo("4h");
        assertThat(action.path("dryRun").asBoolean()).isFalse();
    }

    @Test
    void occurrenceSelectsAHigherStage() {
        String event = CliRun.corpus("tetragon-events/runtime-radar-CS_RT_DOWNLOAD_TOOLS.json");

        List<String> stages = List.of("1", "2", "3").stream()
                .map(n -> simulate("--format", "json", "--occurrence", n, "--events", event)
                        .lines()
                        .getFirst()
                        .path("stage")
                        .asString())
                .toList();

        assertThat(stages).containsExactly("cut-connection", "strip-credentials", "isolate");
    }

    @Test
    void eventsAreCountedInTheOrderGivenAndRedeliveriesCountOnce(@TempDir Path dir) throws IOException {
        String original = Files.readString(Path.of(testEvent("falco-contact-k8s-api.json")));
        for (int i = 1; i <= 3; i++) {
            Files.writeString(
                    dir.resolve("event-" + i + ".json"),
                    original.replace("14:02:11.512340912Z", "14:0" + (2 + i) + ":11.512340912Z")
                            .replace("1795447331512340912", "179544733" + i + "512340912"));
        }

        CliRun run = simulate(
                "--format",
                "json",
                "--events",
                dir.resolve("event-1.json").toString(),
                dir.resolve("event-1.json").toString(),
                dir.resolve("event-2.json").toString(),
                dir.resolve("event-3.json").toString());

        assertThat(run.lines())
                .extracting(line -> line.path("occurrence").asInt() + " "
                        + line.path("stage").asString())
                .containsExactly("1 strip-credentials", "1 strip-credentials", "2 strip-credentials", "3 isolate");
    }

    @Test
    void saysWhyNothingActs() {
        CliRun run = simulate("--events", CliRun.corpus("falco-events/falco-website-004.json"));

        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .contains("  detection  falco \"Attach/Exec Pod\" low hello-app/nginx-676b6c5bbc-4xc6t")
                .contains("  action     none")
                .contains("  not acting terminal-shell: rule \"Attach/Exec Pod\" matches none of [Terminal shell in"
                        + " container]");
    }

    @Test
    void textOutputShowsThePlannedAction() {
        CliRun run = simulate("--events", CliRun.corpus("falco-events/falco-website-008.json"));

        assertThat(run.out())
                .contains("  playbook   terminal-shell, stage ask-to-isolate (occurrence 1)")
                .contains("  action     quarantine-pod on default/alpine, approval required within 30m else reject")
                .contains("  params     detach=false")
                .doesNotContain("not acting outbound-c2");
    }

    @Test
    void ignoredAndRejectedEventsAreReportedAndRejectedOnesAreFindings() {
        CliRun ignored = simulate("--events", CliRun.corpus("falco-events/non-detection"));
        CliRun rejected = simulate("--events", CliRun.corpus("falco-events/falco-website-005.json"));

        assertThat(ignored.exitCode()).isZero();
        assertThat(ignored.out()).contains("  ignored    ");
        assertThat(rejected.exitCode()).isEqualTo(Cli.FINDINGS);
        assertThat(rejected.out()).contains("  rejected   no pod to act on");
    }

    @Test
    void invalidPlaybooksAreAFindingAndNothingIsSimulated(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("bad.yaml"), "apiVersion: stanch.dev/v1alpha1\nkind: Playbook\n");

        CliRun run = CliRun.of(
                "simulate",
                "--playbooks",
                dir.toString(),
                "--events",
                CliRun.corpus("falco-events/falco-website-008.json"));

        assertThat(run.exitCode()).isEqualTo(Cli.FINDINGS);
        assertThat(run.out()).isEmpty();
        assertThat(run.err())
                .contains("bad.yaml:1: metadata: required field is missing")
                .contains("simulate: the playbooks have errors; fix them first");
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertThat(simulate("--events", "no/such/file.json").exitCode()).isEqualTo(Cli.USAGE);
        assertThat(simulate("--events", "no/such/file.json").err())
                .contains("simulate: no such file or directory: no/such/file.json");
        assertThat(simulate("--occurrence", "0", "--events", testEvent("falco-contact-k8s-api.json"))
                        .exitCode())
                .isEqualTo(Cli.USAGE);
        assertThat(CliRun.of("simulate", "--events", testEvent("falco-contact-k8s-api.json"))
                        .exitCode())
                .isEqualTo(Cli.USAGE);
        assertThat(CliRun.of("simulate", "--bogus").exitCode()).isEqualTo(Cli.USAGE);
    }
}
