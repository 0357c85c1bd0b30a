package dev.stanch.kubernetes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The cache of Kubernetes binaries that {@code .ci/kube-binaries} builds, in kube-api-test's offline
 * layout: {@code <root>/k8s/1.20.2-linux-amd64/{kube-apiserver,kube-controller-manager,etcd,kubectl}}.
 * The build passes the root as the {@code stanch.kube-dir} system property; without it (a test run
 * from an IDE) the script's own default applies: {@code $STANCH_KUBE_DIR}, else {@code
 * ~/.cache/stanch/kube}.
 *
 * @param root the cache root (kube-api-test's test dir)
 */
public record KubeBinaries(Path root) {

    /** The only version that builds offline here: Debian bookworm's kubernetes source package. */
    public static final String VERSION = "1.20.2";

    static final List<String> NAMES = List.of("kube-apiserver", "kube-controller-manager", "etcd", "kubectl");

    public static KubeBinaries located() {
        String property = System.getProperty("stanch.kube-dir");
        if (property != null && !property.isBlank()) {
            return new KubeBinaries(Path.of(property));
        }
        String env = System.getenv("STANCH_KUBE_DIR");
        if (env != null && !env.isBlank()) {
            return new KubeBinaries(Path.of(env));
        }
        return new KubeBinaries(Path.of(System.getProperty("user.home"), ".cache", "stanch", "kube"));
    }

    Path k8sDir() {
        return root.resolve("k8s");
    }

    public Path versionDir() {
        return k8sDir().resolve(VERSION + "-linux-amd64");
    }

    Path controllerManager() {
        return versionDir().resolve("kube-controller-manager");
    }

    /** The binaries that are not there (or not executable); empty when the cache is complete. */
    public List<String> missing() {
        return NAMES.stream()
                .filter(name -> !Files.isExecutable(versionDir().resolve(name)))
                .toList();
    }
}
