package dev.stanch.playbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlaybookCatalogTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    @Test
    void refusesToStartOnAnInvalidFileAndNamesIt() throws IOException {
        Files.writeString(dir.resolve("good.yaml"), playbook("good", "auto"));
        Files.writeString(dir.resolve("bad.yaml"), playbook("bad", "sometimes"));

        assertThatThrownBy(() -> PlaybookCatalog.load(dir, CLOCK))
                .isInstanceOf(PlaybookCatalog.InvalidPlaybooksException.class)
                .hasMessageContaining("bad.yaml:")
                .hasMessageContaining("spec.stages[0].approval")
                .satisfies(e -> assertThat(((PlaybookCatalog.InvalidPlaybooksException) e).problems())
                        .singleElement()
                        .satisfies(problem -> assertThat(problem.line()).isPositive()));
    }

    @Test
    void aBrokenReloadKeepsTheLastGoodSetAndAFixedOneReplacesIt() throws IOException {
        Path file = dir.resolve("a.yaml");
        Files.writeString(file, playbook("first", "auto"));
        PlaybookCatalog catalog = PlaybookCatalog.load(dir, CLOCK);
        PlaybookEngine before = catalog.engine();

        Files.writeString(file, playbook("first", "sometimes"));
        List<Problem> problems = catalog.reload();

        assertThat(problems)
                .singleElement()
                .satisfies(problem -> assertThat(problem.field()).isEqualTo("spec.stages[0].approval"));
        assertThat(catalog.engine()).isSameAs(before);
        assertThat(names(catalog)).containsExactly("first");
        assertThat(catalog.lastRefused())
                .hasValueSatisfying(refused -> assertThat(refused.problems()).isEqualTo(problems));

        Files.writeString(file, playbook("second", "auto"));
        assertThat(catalog.reload()).isEmpty();
        assertThat(names(catalog)).containsExactly("second");
        assertThat(catalog.lastRefused()).isEmpty();
    }

    @Test
    void reloadsOnlyWhenAFileChanged() throws IOException {
        Path file = dir.resolve("a.yaml");
        Files.writeString(file, playbook("first", "auto"));
        PlaybookCatalog catalog = PlaybookCatalog.load(dir, CLOCK);
        PlaybookEngine before = catalog.engine();

        assertThat(catalog.reloadIfChanged()).isEmpty();
        assertThat(catalog.engine()).isSameAs(before);

        Files.writeString(dir.resolve("b.yaml"), playbook("added", "auto"));
        assertThat(catalog.reloadIfChanged()).hasValue(List.of());
        assertThat(names(catalog)).containsExactlyInAnyOrder("first", "added");

        // Same size, another time: a change all the same.
        Files.writeString(file, playbook("third", "auto"));
        Files.setLastModifiedTime(file, FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));
        assertThat(catalog.reloadIfChanged()).hasValue(List.of());
        assertThat(names(catalog)).containsExactlyInAnyOrder("third", "added");
        assertThat(catalog.reloadIfChanged()).isEmpty();
    }

    @Test
    void aFixedSetCannotBeReloaded() {
        PlaybookCatalog catalog = PlaybookCatalog.of(new PlaybookSet(List.of(), List.of()), CLOCK);

        assertThat(catalog.reloadIfChanged()).isEmpty();
        assertThatThrownBy(catalog::reload).isInstanceOf(IllegalStateException.class);
    }

    private static List<String> names(PlaybookCatalog catalog) {
        return catalog.current().playbooks().stream().map(Playbook::name).toList();
    }

    private static String playbook(String name, String approval) {
        return """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata:
                  name: %s
                spec:
                  match:
                    sources: [falco]
                    rules: ["Terminal shell in container"]
                  stages:
                    - name: ask
                      after: 1
                      action: quarantine-pod
                      approval: %s
                """.formatted(name, approval);
    }
}
