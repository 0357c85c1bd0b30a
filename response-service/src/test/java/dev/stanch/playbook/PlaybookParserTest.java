package dev.stanch.playbook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlaybookParserTest {

    private final PlaybookLoader loader = new PlaybookLoader();

    private static final String VALID = """
      apiVersion: stanch.dev/v1alpha1
      kind: Playbook
      metadata:
        name: outbound-c2
        description: Contain a pod that talks to a C2 address.
      spec:
        priority: 5
        match:
          sources: [falco, tetragon]
          rules: ["Outbound Connection to C2 Servers", "Unexpected outbound*"]
          minSeverity: high
          when: 'detection.connection.peerIp != ""'
        window: 30m
        stages:
          - name: cut-connection
            after: 1
            action: block-connection
            approval: auto
            expireAfter: 4h
          - name: strip-credentials
            after: 2
            action: revoke-token
            params: {rotateServiceAccount: true}
            approval: auto
          - name: isolate
            after: 3
            action: quarantine-pod
            approval: required
            approvalTimeout: 15m
            onApprovalTimeout: reject
        dryRun: true
      """;

    @Test
    void readsEveryFieldOfTheFormat() {
        PlaybookSet set = loader.parse("x.yaml", VALID);

        assertThat(set.problems()).isEmpty();
        Playbook playbook = set.playbooks().getFirst();
        assertThat(playbook.name()).isEqualTo("outbound-c2");
        assertThat(playbook.description()).isEqualTo("Contain a pod that talks to a C2 address.");
        assertThat(playbook.priority()).isEqualTo(5);
        assertThat(playbook.match().sources()).containsExactlyInAnyOrder(Source.FALCO, Source.TETRAGON);
        assertThat(playbook.match().rulePatterns())
                .containsExactly("Outbound Connection to C2 Servers", "Unexpected outbound*");
        assertThat(playbook.match().minSeverity()).isEqualTo(Severity.HIGH);
        assertThat(playbook.match().when().expression()).isEqualTo("detection.connection.peerIp != \"\"");
        assertThat(playbook.window()).isEqualTo(Duration.ofMinutes(30));
        assertThat(playbook.dryRun()).isTrue();
        assertThat(playbook.stages())
                .extracting(Stage::name, Stage::after, Stage::action, Stage::approval, Stage::line)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                "cut-connection", 1, ActionKind.BLOCK_CONNECTION, Approval.AUTO, 15),
                        org.assertj.core.groups.Tuple.tuple(
                                "strip-credentials", 2, ActionKind.REVOKE_TOKEN, Approval.AUTO, 20),
                        org.assertj.core.groups.Tuple.tuple(
                                "isolate", 3, ActionKind.QUARANTINE_POD, Approval.REQUIRED, 25));
        assertThat(playbook.stages().get(0).expireAfter()).isEqualTo(Duration.ofHours(4));
        assertThat(playbook.stages().get(0).approvalTimeout()).isNull();
        assertThat(playbook.stages().get(1).params()).isEqualTo(Map.of("rotateServiceAccount", true));
        assertThat(playbook.stages().get(2).approvalTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(playbook.stages().get(2).onApprovalTimeout()).isEqualTo(OnApprovalTimeout.REJECT);
    }

    @Test
    void defaultsAreTheSafeOnes() {
        PlaybookSet set = loader.parse("x.yaml", """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata: {name: minimal}
            spec:
              match: {rules: ["*"]}
              stages: [{name: only, action: quarantine-pod}]
            """);

        assertThat(set.problems()).isEmpty();
        Playbook playbook = set.playbooks().getFirst();
        Stage stage = playbook.stages().getFirst();
        assertThat(stage.approval())
                .as("a person decides unless the author says auto")
                .isEqualTo(Approval.REQUIRED);
        assertThat(stage.approvalTimeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(stage.onApprovalTimeout()).as("never approve by silence").isEqualTo(OnApprovalTimeout.REJECT);
        assertThat(stage.after()).isEqualTo(1);
        assertThat(stage.expireAfter()).isNull();
        assertThat(playbook.window()).isEqualTo(Duration.ofHours(1));
        assertThat(playbook.match().minSeverity()).isEqualTo(Severity.INFO);
        assertThat(playbook.match().sources()).isEmpty();
        assertThat(playbook.dryRun()).isFalse();
        assertThat(playbook.priority()).isZero();
    }

    @Test
    void reportsEveryProblemWithFileLineAndField() {
        PlaybookSet set = loader.parse("playbooks/bad.yaml", """
            apiVersion: stanch.dev/v1
            kind: Playbook
            metadata:
              name: Bad_Name
            spec:
              match:
                sources: [falco, snort]
                rules: []
                minSeverity: severe
                when: detection.connection.peerPort == "443"
              window: 45x
              stages:
                - name: one
                  action: quarantine
                - name: two
                  action: block-connection
                  params:
                    granularity: host
                    extra: 1
                  approval: auto
                  approvalTimeout: 5m
                - name: three
                  after: 0
                  action: revoke-token
                  when: occurrences > "2"
                  expireAfter: 0s
                  aproval: auto
            """);

        assertThat(set.isValid()).isFalse();
        assertThat(set.playbooks()).isEmpty();
        assertThat(set.problems())
                .extracting(Problem::toString)
                .containsExactly(
                        "playbooks/bad.yaml:1: apiVersion: must be \"stanch.dev/v1alpha1\", not \"stanch.dev/v1\"",
                        "playbooks/bad.yaml:4: metadata.name: \"Bad_Name\" is not a valid name: lower-case"
                                + " letters, digits and '-', starting and ending with a letter or digit, at most 63"
                                + " characters",
                        "playbooks/bad.yaml:7: spec.match.sources[1]: unknown source \"snort\"; one of [falco,"
                                + " tetragon, kubearmor, cloudevents]",
                        "playbooks/bad.yaml:8: spec.match.rules: must list at least one rule (\"*\" for any)",
                        "playbooks/bad.yaml:9: spec.match.minSeverity: unknown severity \"severe\"; one of"
                                + " [critical, high, medium, low, info]",
                        "playbooks/bad.yaml:10: spec.match.when: CEL: found no matching overload for '_==_'"
                                + " applied to '(int, string)' (candidates: (%A0, %A0))",
                        "playbooks/bad.yaml:11: spec.window: \"45x\" is not a duration; write e.g. 90s, 15m, 4h,"
                                + " 1h30m or 7d",
                        "playbooks/bad.yaml:14: spec.stages[0].action: unknown action \"quarantine\"; did you mean"
                                + " \"quarantine-pod\"?",
                        "playbooks/bad.yaml:18: spec.stages[1].params.granularity: \"host\" is not one of [port,"
                                + " address]",
                        "playbooks/bad.yaml:19: spec.stages[1].params.extra: unknown parameter for"
                                + " block-connection; expected one of \"granularity\"",
                        "playbooks/bad.yaml:21: spec.stages[1].approvalTimeout: applies only to stages with"
                                + " approval: required",
                        "playbooks/bad.yaml:23: spec.stages[2].after: must be between 1 and 1000000",
                        "playbooks/bad.yaml:25: spec.stages[2].when: CEL: found no matching overload for '_>_'"
                                + " applied to '(int, string)' (candidates: (bool, bool),(int, int),(uint,"
                                + " uint),(double, double),(string, string),(bytes, bytes),(google.protobuf.Timestamp,"
                                + " google.protobuf.Timestamp),(google.protobuf.Duration, google.protobuf.Duration))",
                        "playbooks/bad.yaml:26: spec.stages[2].expireAfter: must be longer than zero",
                        "playbooks/bad.yaml:27: spec.stages[2].aproval: unknown field; did you mean"
                                + " \"approval\"?");
    }

    @Test
    void celErrorsInBlockScalarsPointAtTheLineOfTheMistake() {
        PlaybookSet set = loader.parse("x.yaml", """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata: {name: x}
            spec:
              match:
                rules: ["*"]
                when: |
                  detection.severity == "high" &&
                  detection.nope == 1
              stages: [{name: a, action: revoke-token}]
            """);

        assertThat(set.problems())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:9: spec.match.when: CEL: undefined field 'nope'");
    }

    @Test
    void occurrencesAreKnownToStagesButNotToTheMatch() {
        PlaybookSet set = loader.parse("x.yaml", """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata: {name: x}
            spec:
              match:
                rules: ["*"]
                when: occurrences > 1
              stages: [{name: a, action: revoke-token, when: occurrences > 1}]
            """);

        assertThat(set.problems())
                .extracting(Problem::toString)
                .containsExactly(
                        "x.yaml:7: spec.match.when: CEL: undeclared reference to 'occurrences' (in container" + " '')");
    }

    @Test
    void refusesAStageThatCanNeverRun() {
        PlaybookSet set = loader.parse("x.yaml", """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata: {name: x}
            spec:
              match: {rules: ["*"]}
              stages:
                - {name: a, after: 2, action: revoke-token}
                - {name: b, after: 1, action: quarantine-pod}
            """);

        assertThat(set.errors())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:7: spec.stages[0]: stage \"a\" can never run: stage \"b\" after it holds"
                        + " whenever it does (the last stage that holds runs)");
    }

    @Test
    void aLaterBlockDoesNotShadowAnEarlierStageForDetectionsWithoutAConnection() {
        PlaybookSet set = loader.parse("x.yaml", """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata: {name: x}
            spec:
              match: {rules: ["*"]}
              stages:
                - {name: a, action: revoke-token, approval: auto}
                - {name: b, action: block-connection, approval: auto}
            """);

        assertThat(set.problems()).isEmpty();
    }

    @Test
    void warnsAboutApprovalBySilence() {
        PlaybookSet set = loader.parse("x.yaml", """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata: {name: x}
            spec:
              match: {rules: ["*"]}
              stages:
                - name: a
                  action: quarantine-pod
                  onApprovalTimeout: approve
            """);

        assertThat(set.isValid()).isTrue();
        assertThat(set.problems())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:9: warning: spec.stages[0].onApprovalTimeout: approves by silence: the action"
                        + " runs when nobody answers in time");
    }

    @Test
    void duplicateFieldsAndStageNamesAreErrors() {
        PlaybookSet set = loader.parse("x.yaml", """
            apiVersion: stanch.dev/v1alpha1
            kind: Playbook
            metadata: {name: x}
            spec:
              match: {rules: ["*"]}
              window: 1h
              window: 2h
              stages:
                - {name: a, after: 1, action: revoke-token, approval: auto}
                - {name: a, after: 2, action: quarantine-pod}
            """);

        assertThat(set.errors())
                .extracting(Problem::toString)
                .containsExactly(
                        "x.yaml:7: spec.window: duplicate field (first at line 6)",
                        "x.yaml:10: spec.stages[1].name: duplicate stage name \"a\" (also at line 9)");
    }

    @Test
    void duplicatePlaybookNamesAcrossDocumentsAreErrors() {
        String document = """
        apiVersion: stanch.dev/v1alpha1
        kind: Playbook
        metadata: {name: same}
        spec:
          match: {rules: ["*"]}
          stages: [{name: a, action: revoke-token}]
        """;

        PlaybookSet set = loader.parse("x.yaml", document + "---\n" + document);

        assertThat(set.playbooks()).hasSize(1);
        assertThat(set.errors())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:8: metadata.name: duplicate playbook name \"same\" (also in x.yaml:1)");
    }

    @Test
    void wrongShapesAreNamedNotThrown() {
        List<String> inputs = List.of(
                "just a string",
                "- a\n- list",
                "apiVersion: stanch.dev/v1alpha1\nkind: Playbook\nmetadata: []\nspec: 3\n",
                "apiVersion: stanch.dev/v1alpha1\nkind: Playbook\nmetadata: {name: x}\n"
                        + "spec: {match: {rules: [\"*\"]}, stages: {a: 1}}\n",
                "apiVersion: stanch.dev/v1alpha1\nkind: Playbook\nmetadata: {name: x}\n"
                        + "spec: {match: {rules: [\"*\"]}, stages: [{name: a, action: revoke-token,"
                        + " params: {rotateServiceAccount: maybe}}]}\n",
                "key: [unclosed",
                "a: &a [*a, *a]\nb: *a\n",
                "\t tab-indented: x");

        for (String input : inputs) {
            PlaybookSet set = loader.parse("x.yaml", input);
            assertThat(set.isValid()).as(input).isFalse();
            assertThat(set.errors())
                    .as(input)
                    .allSatisfy(p -> assertThat(p.line()).isPositive());
        }
        assertThat(loader.parse("x.yaml", "- a\n- list").errors())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:1: must be a mapping");
        assertThat(loader.parse("x.yaml", "key: [unclosed").errors())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:1: not valid YAML: expected ',' or ']', but got <stream end>");
    }

    @Test
    void anEmptyFileIsAWarningNotAnError() {
        PlaybookSet set = loader.parse("empty.yaml", "# nothing yet\n");

        assertThat(set.isValid()).isTrue();
        assertThat(set.problems())
                .extracting(Problem::toString)
                .containsExactly("empty.yaml:1: warning: no playbook in this file");
    }

    private static String minimalWith(String specLines, String stageLines) {
        return """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: x}
                spec:
                  match: {rules: ["*"]}
                %s  stages:
                    - name: a
                      action: revoke-token
                %s""".formatted(specLines, stageLines);
    }

    @Test
    void onlyTrueAndFalseAreBooleans() {
        for (String word : List.of("yes", "no", "on", "off", "True")) {
            PlaybookSet set = loader.parse("x.yaml", minimalWith("  dryRun: " + word + "\n", ""));
            assertThat(set.errors())
                    .as(word)
                    .extracting(Problem::toString)
                    .containsExactly("x.yaml:6: spec.dryRun: must be true or false");
        }
        assertThat(loader.parse("x.yaml", minimalWith("  dryRun: true\n", ""))
                        .playbooks()
                        .getFirst()
                        .dryRun())
                .isTrue();
    }

    @Test
    void numbersAreDecimalAndStringsAreStrings() {
        assertThat(loader.parse("x.yaml", minimalWith("", "      after: 010\n")).errors())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:9: spec.stages[0].after: must be a whole number");
        assertThat(loader.parse("x.yaml", minimalWith("", "      after: 0x10\n"))
                        .errors())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:9: spec.stages[0].after: must be a whole number");
        assertThat(loader.parse("x.yaml", """
                                apiVersion: stanch.dev/v1alpha1
                                kind: Playbook
                                metadata: {name: x}
                                spec:
                                  match: {rules: [404]}
                                  stages: [{name: a, action: revoke-token}]
                                """).errors())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:5: spec.match.rules[0]: must be a string; quote it: \"404\"");
    }

    @Test
    void theWindowMustBeLongerThanZero() {
        assertThat(loader.parse("x.yaml", minimalWith("  window: 0s\n", "")).errors())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:6: spec.window: must be longer than zero");
    }

    @Test
    void aParameterGivenTwiceIsAnError() {
        assertThat(loader.parse(
                        "x.yaml",
                        minimalWith(
                                "",
                                "      params:\n        rotateServiceAccount: false\n"
                                        + "        rotateServiceAccount: true\n")))
                .extracting(set -> set.errors().stream().map(Problem::toString).toList())
                .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
                .containsExactly("x.yaml:11: spec.stages[0].params.rotateServiceAccount: duplicate parameter"
                        + " (first at line 10)");
    }

    @Test
    void approveBySilenceWithAutoApprovalIsOneErrorNotAlsoAWarning() {
        assertThat(loader.parse("x.yaml", minimalWith("", "      approval: auto\n      onApprovalTimeout: approve\n"))
                        .problems())
                .extracting(Problem::toString)
                .containsExactly("x.yaml:10: spec.stages[0].onApprovalTimeout: applies only to stages with"
                        + " approval: required");
    }
}
