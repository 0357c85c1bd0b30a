package dev.stanch.cli;

import dev.stanch.ledger.AuditVerification;
import dev.stanch.ledger.Ledger;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "audit",
        mixinStandardHelpOptions = true,
        description = "Work with the ledger's audit log.",
        subcommands = {AuditCommand.Verify.class})
final class AuditCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Cli.USAGE;
    }

    @Command(
            name = "verify",
            mixinStandardHelpOptions = true,
            description = {
                "Verify the ledger in a PostgreSQL database: the audit log's hash chain, and every action"
                        + " against its audit rows. Reads only, in one snapshot, while the service may go on"
                        + " writing.",
                "Prints one line per finding (kind: message, each naming the row and the action), then a"
                        + " summary. Exit 0 when the ledger is intact, 1 when anything was found, 2 on usage"
                        + " or connection errors."
            })
    static final class Verify implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(
                names = "--jdbc-url",
                required = true,
                paramLabel = "URL",
                description = "The ledger's database, e.g. jdbc:postgresql://db:5432/stanch.")
        String jdbcUrl;

        @Option(names = "--user", paramLabel = "USER", description = "The database user (default: the URL's).")
        String user;

        @Option(
                names = "--password-env",
                paramLabel = "VAR",
                description = "The environment variable that holds the password: never the password itself on"
                        + " the command line, where other users' ps shows it.")
        String passwordEnv;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            String password = null;
            if (passwordEnv != null) {
                password = System.getenv(passwordEnv);
                if (password == null) {
                    err.println("audit verify: environment variable " + passwordEnv + " is not set");
                    return Cli.USAGE;
                }
            }
            DriverManagerDataSource database = new DriverManagerDataSource(jdbcUrl, user, password);
            // Connect first, so that a wrong URL or password is told as such, not as a broken ledger.
            try (Connection connection = database.getConnection()) {
                connection.isValid(1);
            } catch (SQLException e) {
                err.println("audit verify: cannot connect to " + jdbcUrl + ": " + e.getMessage());
                return Cli.USAGE;
            }
            AuditVerification verification;
            try {
                verification = new Ledger(database, Clock.systemUTC()).verify();
            } catch (DataAccessException e) {
                err.println("audit verify: " + jdbcUrl + " holds no Stanch ledger that can be read: "
                        + e.getMostSpecificCause().getMessage());
                return Cli.USAGE;
            }
            PrintWriter out = spec.commandLine().getOut();
            for (AuditVerification.Break found : verification.breaks()) {
                out.println(kind(found.kind()) + ": " + found.message());
            }
            long unlisted = verification.breakCount() - verification.breaks().size();
            if (unlisted > 0) {
                out.println("… and " + unlisted + " more not listed");
            }
            if (verification.intact()) {
                out.printf(
                        "audit log intact: %d rows, chain head at row %d%n",
                        verification.rows(), verification.headSeq());
            } else {
                out.printf(
                        "audit log broken: %d finding%s in %d rows, chain head at row %d%n",
                        verification.breakCount(),
                        verification.breakCount() == 1 ? "" : "s",
                        verification.rows(),
                        verification.headSeq());
            }
            out.flush();
            return verification.intact() ? Cli.OK : Cli.FINDINGS;
        }

        /** {@code STATUS_MISMATCH} as {@code status-mismatch}: easy to grep, as the other commands print. */
        private static String kind(AuditVerification.Kind kind) {
            return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
