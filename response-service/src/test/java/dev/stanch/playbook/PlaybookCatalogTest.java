package dev.stanch.playbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

    /**
     * The chart mounts the playbooks ConfigMap as the playbooks directory. The kubelet writes a
     * ConfigMap volume as hidden {@code ..<timestamp>} directories behind symbolic links, and changes it
     * by writing a new one and swapping the {@code ..data} link (its AtomicWriter): each playbook is
     * loaded once, from the visible link, and a swap is a change.
     */
    @Test
    void readsAConfigMapVolumeOnceAndSeesTheKubeletSwapIt() throws IOException {
        Path first = configMapVersion("..2026_11_22_10_00_00.1", "first");
        Files.createSymbolicLink(dir.resolve("..data"), first.getFileName());
        Files.createSymbolicLink(dir.resolve("a.yaml"), Path.of("..data", "a.yaml"));

        PlaybookCatalog catalog = PlaybookCatalog.load(dir, CLOCK);
        assertThat(names(catalog)).containsExactly("first");
        assertThat(catalog.current().playbooks().getFirst().file())
                .isEqualTo(dir.resolve("a.yaml").toString());

        Path second = configMapVersion("..2026_11_22_10_01_00.2", "second");
        Files.setLastModifiedTime(second.resolve("a.yaml"), FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));
        Path swap = dir.resolve("..data_tmp");
        Files.createSymbolicLink(swap, second.getFileName());
        Files.move(swap, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);
        Files.delete(first.resolve("a.yaml"));
        Files.delete(first);

        assertThat(catalog.reloadIfChanged()).hasValue(List.of());
        assertThat(names(catalog)).containsExactly("second");
    }

    private Path configMapVersion(String name, String playbook) throws IOException {
        Path version = Files.createDirectory(dir.resolve(name));
        Files.writeString(version.resolve("a.yaml"), playbook(playbook, "auto"));
        return version;
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
