package dev.stanch.kubernetes;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives {@code *ApiServerIT} classes the one {@link KubeApiServer} of this test JVM: the first class
 * that asks starts it (10–15 s on 2 cores), later classes reuse it, and JUnit closes it when the
 * whole run ends (it lives in the root context's store, which closes its {@link AutoCloseable}
 * values).
 *
 * <p>Without the binaries, the tests are skipped locally, so that {@code ./mvnw verify} works on a
 * machine that never ran {@code .ci/kube-binaries}, but fail in CI (environment variable {@code CI}
 * set), where a skip would hide that nothing was tested.
 *
 * <p>Public, with what it hands out, for the tests of other packages (the workflow's) that run on it.
 */
public final class KubeApiServerExtension implements BeforeAllCallback, ParameterResolver {

    private static final Logger log = LoggerFactory.getLogger(KubeApiServerExtension.class);

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(KubeApiServerExtension.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        server(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KubeApiServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return server(context);
    }

    private static KubeApiServer server(ExtensionContext context) {
        KubeBinaries binaries = KubeBinaries.located();
        List<String> missing = binaries.missing();
        if (!missing.isEmpty()) {
            String message = "no " + String.join(", ", missing) + " in " + binaries.versionDir()
                    + ": run .ci/kube-binaries to build them (about 6 minutes, once per machine)";
            if (System.getenv("CI") != null) {
                throw new IllegalStateException(message);
            }
            // Surefire's report shows a class skipped in beforeAll as 0 tests run, without the reason.
            log.warn("skipping {}: {}", context.getRequiredTestClass().getSimpleName(), message);
            Assumptions.abort(message);
        }
        return context.getRoot()
                .getStore(NAMESPACE)
                .computeIfAbsent(
                        KubeApiServer.class, key -> KubeApiServer.start(binaries, workDir()), KubeApiServer.class);
    }

    /** This module's build directory, which the build passes; {@code target} when run elsewhere. */
    private static Path workDir() {
        String buildDir = System.getProperty("stanch.build-dir", "target");
        return Path.of(buildDir).toAbsolutePath().resolve("kube-api-server");
    }
}
