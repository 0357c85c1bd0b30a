package dev.stanch.ledger;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives the ledger's {@code *IT} classes the one {@link LedgerPostgres} of this test JVM: the first
 * class that asks starts it, later classes reuse it, and JUnit stops it when the whole run ends (it
 * lives in the root context's store, which closes its {@link AutoCloseable} values). Each class takes
 * a fresh database from it ({@link LedgerPostgres#newDatabase()}), in {@code @BeforeAll}.
 *
 * <p>Public, with what it hands out, for the tests of other packages (the workflow's) that run on it.
 */
public final class LedgerPostgresExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(LedgerPostgresExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LedgerPostgres.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot()
                .getStore(NAMESPACE)
                .computeIfAbsent(LedgerPostgres.class, key -> LedgerPostgres.start(workDir()), LedgerPostgres.class);
    }

    /** This module's build directory, which the build passes; {@code target} when run elsewhere. */
    private static Path workDir() {
        String buildDir = System.getProperty("stanch.build-dir", "target");
        return Path.of(buildDir).toAbsolutePath().resolve("embedded-postgres");
    }
}
