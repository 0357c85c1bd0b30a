package dev.stanch.chart;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The chart helm/stanch, linted and rendered by the real Helm library (helm-java: Helm's Go code,
 * loaded natively), without a helm binary or a cluster. Public, for the tests of other packages
 * that need the chart's objects as Helm renders them ({@code StanchIdentity}'s ClusterRole).
 */
public final class StanchChart {

    /** The chart's directory in this repository. */
    public static final Path DIRECTORY =
            Path.of(System.getProperty("stanch.repo", "..")).resolve("helm/stanch");

    /** The API server version of the {@code *ApiServerIT} harness (KubeBinaries.VERSION). */
    public static final String KUBE_1_20 = "1.20.2";

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private StanchChart() {}

    /** {@code helm lint --strict} of the chart with its own values. */
    public static LintResult lint() {
        return new Helm(DIRECTORY).lint().strict().call();
    }

    /**
     * {@code helm template} for a Kubernetes version ({@code --kube-version}, which the templates ask
     * for the policy API) with these values, YAML as in a values file ({@code -f}; {@code null}
     * removes a default). A file rather than {@code --set}, which types no list and no fraction.
     *
     * @throws IllegalStateException with Helm's message when the values or the templates fail
     */
    public static String template(String release, String namespace, String kubeVersion, String valuesYaml) {
        return withValuesFile(valuesYaml, values -> {
            TemplateCommand command = new Helm(DIRECTORY)
                    .template()
                    .withName(release)
                    .withNamespace(namespace)
                    .withKubeVersion(kubeVersion);
            values.ifPresent(command::withValuesFile);
            return command.call();
        });
    }

    /**
     * What {@code helm install} prints after the release (templates/NOTES.txt), from a client-only
     * dry run: no cluster is asked.
     */
    public static String notes(String release, String namespace, String valuesYaml) {
        return withValuesFile(valuesYaml, values -> {
            InstallCommand command = new Helm(DIRECTORY)
                    .install()
                    .withName(release)
                    .withNamespace(namespace)
                    .withKubeVersion(KUBE_1_20)
                    .dryRun()
                    .withDryRunOption(DryRun.CLIENT)
                    .clientOnly();
            values.ifPresent(command::withValuesFile);
            return command.call().getOutput();
        });
    }

    /** Runs Helm with the values written to a temporary file, which is deleted afterwards. */
    private static String withValuesFile(String valuesYaml, Function<Optional<Path>, String> helm) {
        if (valuesYaml.isBlank()) {
            return helm.apply(Optional.empty());
        }
        Path values;
        try {
            values = Files.createTempFile("stanch-values-", ".yaml");
            Files.writeString(values, valuesYaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return helm.apply(Optional.of(values));
        } finally {
            try {
                Files.delete(values);
            } catch (IOException e) {
                // A temporary file left behind: nothing to fail the test for.
            }
        }
    }

    /** The rendered objects, in Helm's order, typed by kind where fabric8 knows it. */
    public static List<HasMetadata> objects(String rendered) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : rendered.split("(?m)^---\\s*$")) {
            if (document.lines().allMatch(line -> line.isBlank() || line.startsWith("#"))) {
                continue;
            }
            objects.add(SERIALIZATION.unmarshal(document, HasMetadata.class));
        }
        return objects;
    }

    /** The rendered objects of one kind. */
    public static <T extends HasMetadata> List<T> objects(String rendered, Class<T> kind) {
        return objects(rendered).stream()
                .filter(kind::isInstance)
                .map(kind::cast)
                .toList();
    }

    static KubernetesSerialization serialization() {
        return SERIALIZATION;
    }
}
