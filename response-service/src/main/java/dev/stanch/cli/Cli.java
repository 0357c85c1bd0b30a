package dev.stanch.cli;

import java.io.PrintWriter;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The offline command line: every command here runs without a Spring context and prints results;
 * all read files, except {@code audit verify}, which reads the ledger's database. Exit codes: 0
 * success, 1 findings (an invalid playbook, a rejected event, a broken audit log), 2 usage errors
 * (and a database that cannot be reached).
 */
@Command(
        name = "stanch",
        mixinStandardHelpOptions = true,
        versionProvider = Cli.Version.class,
        description = "Stanch: fine-grained autonomous response for Kubernetes.",
        subcommands = {
            // one line per command; keep the list in the order of --help
            PlaybooksCommand.class,
            NormalizeCommand.class,
            SimulateCommand.class,
            ConnectivityCommand.class,
            AuditCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Cli {

    public static final int OK = 0;
    public static final int FINDINGS = 1;
    public static final int USAGE = 2;

    private static final Set<String> TOP_LEVEL_OPTIONS = Set.of("-h", "--help", "-V", "--version");

    private Cli() {}

    /**
     * True when the arguments are for the CLI: a first word that is not an option (a command, or a
     * mistyped one that deserves a usage error rather than a service start), or help and version.
     * Everything else ({@code --server.port=8081} and the like) is for the service.
     */
    public static boolean handles(String[] args) {
        return args.length > 0 && (!args[0].startsWith("-") || TOP_LEVEL_OPTIONS.contains(args[0]));
    }

    public static int run(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        try {
            return run(args, out, err);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** Runs a command with the given streams; the seam that tests use. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return commandLine(out, err).execute(args);
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(Cli.class);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.getCommandSpec().exitCodeOnUsageHelp(OK);
        return commandLine;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Cli.class.getPackage().getImplementationVersion();
            return new String[] {"stanch " + (version == null ? "development build" : version)};
        }
    }
}
