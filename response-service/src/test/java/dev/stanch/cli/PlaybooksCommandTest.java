package dev.stanch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stanch playbooks validate}: output lines and exit codes. */
class PlaybooksCommandTest {

    @Test
    void theShippedPlaybooksAreValid() {
        CliRun run = CliRun.of("playbooks", "validate", CliRun.repo("playbooks"));

        assertThat(run.exitCode()).as(run.out()).isZero();
        assertThat(run.out()).isEqualTo("5 playbooks valid, 0 errors, 0 warnings\n");
    }

    @Test
    void problemsArePrintedAsFileLineFieldMessage(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("x.yaml");
        Files.writeString(file, """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: x}
                spec:
                  match: {rules: ["*"]}
                  stages:
                    - {name: a, action: quarantine}
                    - {name: b, action: revoke-token, onApprovalTimeout: approve}
                """);

        CliRun run = CliRun.of("playbooks", "validate", file.toString());

        assertThat(run.exitCode()).isEqualTo(Cli.FINDINGS);
        assertThat(run.out())
                .isEqualTo(file
                        + ":7: spec.stages[0].action: unknown action \"quarantine\"; did you mean"
                        + " \"quarantine-pod\"?\n"
                        + file
                        + ":8: warning: spec.stages[1].onApprovalTimeout: approves by silence: the action runs"
                        + " when nobody answers in time\n"
                        + "0 playbooks valid, 1 error, 1 warning\n");
    }

    @Test
    void warningsAloneAreNotFindings(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("empty.yml"), "# nothing yet\n");

        CliRun run = CliRun.of("playbooks", "validate", dir.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("empty.yml:1: warning: no playbook in this file");
    }

    @Test
    void aFileThatIsNotUtf8IsAnError(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, new byte[] {'n', 'a', 'm', 'e', ':', ' ', (byte) 0xe9});

        CliRun run = CliRun.of("playbooks", "validate", file.toString());

        assertThat(run.exitCode()).isEqualTo(Cli.FINDINGS);
        assertThat(run.out()).startsWith(file + ":1: not UTF-8 text\n");
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertThat(CliRun.of("playbooks", "validate").exitCode()).isEqualTo(Cli.USAGE);
        assertThat(CliRun.of("playbooks").exitCode()).isEqualTo(Cli.USAGE);
        CliRun missing = CliRun.of("playbooks", "validate", "no/such/dir");
        assertThat(missing.exitCode()).isEqualTo(Cli.USAGE);
        assertThat(missing.err()).isEqualTo("playbooks validate: no such file or directory: no/such/dir\n");
        assertThat(CliRun.of("no-such-command").exitCode()).isEqualTo(Cli.USAGE);
        assertThat(CliRun.of("playbooks", "validate", "--help").exitCode()).isZero();
    }

    @Test
    void theApplicationHandsCommandsToTheCliAndOptionsToSpring() {
        assertThat(Cli.handles(new String[] {"playbooks", "validate"})).isTrue();
        assertThat(Cli.handles(new String[] {"typo"})).isTrue();
        assertThat(Cli.handles(new String[] {"--help"})).isTrue();
        assertThat(Cli.handles(new String[] {})).isFalse();
        assertThat(Cli.handles(new String[] {"--server.port=8081"})).isFalse();
    }
}
