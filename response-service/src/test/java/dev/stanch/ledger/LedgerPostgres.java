package dev.stanch.ledger;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real PostgreSQL server (zonky's embedded binaries, PostgreSQL 17) for the test JVM, with a
 * fresh, migrated database for whoever asks. Started by {@link LedgerPostgresExtension}.
 */
public final class LedgerPostgres implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LedgerPostgres.class);

    private final EmbeddedPostgres server;
    private final AtomicInteger databases = new AtomicInteger();
    private final List<HikariDataSource> pools = new CopyOnWriteArrayList<>();

    private LedgerPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    static LedgerPostgres start(Path workDir) {
        long started = System.nanoTime();
        try {
            Files.createDirectories(workDir);
            EmbeddedPostgres server = EmbeddedPostgres.builder()
                    .setOverrideWorkingDirectory(workDir.toFile())
                    .setDataDirectory(workDir.resolve("data"))
                    .setCleanDataDirectory(true)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
            log.info(
                    "PostgreSQL started on port {} in {} ms",
                    server.getPort(),
                    Duration.ofNanos(System.nanoTime() - started).toMillis());
            return new LedgerPostgres(server);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the embedded PostgreSQL in " + workDir, e);
        }
    }

    /** A new, empty database with the ledger's schema (through {@link Ledger#migrate}, as the service will). */
    public DataSource newDatabase() {
        String name = "ledger_" + databases.incrementAndGet();
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(createDatabase(name));
        pool.setUsername("postgres");
        pool.setMaximumPoolSize(4);
        pool.setPoolName(name);
        HikariDataSource dataSource = new HikariDataSource(pool);
        pools.add(dataSource);
        Ledger.migrate(dataSource);
        return dataSource;
    }

    /**
     * A new database without any schema, for a service under test to migrate: its JDBC URL (user
     * {@code postgres}, no password).
     */
    public String newEmptyDatabase() {
        return createDatabase("service_" + databases.incrementAndGet());
    }

    private String createDatabase(String name) {
        try (Connection connection = server.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("create database " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name, e);
        }
        return server.getJdbcUrl("postgres", name);
    }

    /** Where a database of {@link #newDatabase()} is, for what connects by URL (the CLI). */
    public static String jdbcUrl(DataSource database) {
        return ((HikariDataSource) database).getJdbcUrl();
    }

    /** Where a database of this server is by its name: {@code postgres} has no ledger in it. */
    public String jdbcUrl(String database) {
        return server.getJdbcUrl("postgres", database);
    }

    @Override
    public void close() throws IOException {
        pools.forEach(HikariDataSource::close);
        server.close();
    }
}
