package dev.stanch.cli;

import dev.stanch.netpol.ClusterState;
import dev.stanch.netpol.Connection;
import dev.stanch.netpol.ManifestReader;
import dev.stanch.netpol.NetpolEngine;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code connectivity --manifests DIR}: the connections that the manifests' network policies allow,
 * in the format of np-guard netpol-analyzer's {@code list} command, so that its test corpus checks
 * this engine line for line.
 */
@Command(
        name = "connectivity",
        mixinStandardHelpOptions = true,
        versionProvider = Cli.Version.class,
        description = {
            "List the connections the network policies in a directory of manifests allow.",
            "One sorted line per allowed pair: <src> => <dst> : <connections>, in the format of"
                    + " np-guard netpol-analyzer's list command. Pods of one workload that policies tell"
                    + " apart are listed one by one, as <ns>/<pod>[Pod].",
            "Manifests that cannot be read are skipped with a warning on stderr."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the list was printed", "2:usage error (missing directory, bad option)"})
final class ConnectivityCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(
            names = "--manifests",
            required = true,
            paramLabel = "DIR",
            description = "Directory of YAML/JSON manifests, read recursively (or a single file).")
    private Path manifests;

    @Option(
            names = "--format",
            defaultValue = "txt",
            paramLabel = "txt|json",
            converter = FormatConverter.class,
            description = "Output format: txt (default) or json.")
    private Format format;

    enum Format {
        TXT,
        JSON
    }

    /** Accepts the lower-case names that the option documents. */
    static final class FormatConverter implements CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "txt" -> Format.TXT;
                case "json" -> Format.JSON;
                default -> throw new CommandLine.TypeConversionException("'" + value + "' is not txt or json");
            };
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.exists(manifests)) {
            err.println("connectivity: no such file or directory: " + manifests);
            return Cli.USAGE;
        }
        ManifestReader.Manifests read;
        try {
            read = ManifestReader.read(manifests);
        } catch (IOException e) {
            err.println("connectivity: cannot read " + manifests + ": " + e.getMessage());
            return Cli.USAGE;
        }
        read.warnings().forEach(warning -> err.println("warning: " + warning));
        ClusterState state = ClusterState.of(read.objects());
        state.warnings().forEach(warning -> err.println("warning: " + warning));
        List<Connection> connections = NetpolEngine.index(state).connectivity();
        switch (format) {
            case TXT -> connections.forEach(out::println);
            case JSON -> printJson(connections, out);
        }
        out.flush();
        err.flush();
        return Cli.OK;
    }

    /** The layout np-guard prints (Go's two-space indented JSON), so outputs compare textually. */
    private static void printJson(List<Connection> connections, PrintWriter out) {
        if (connections.isEmpty()) {
            out.println("[]");
            return;
        }
        out.println("[");
        for (int i = 0; i < connections.size(); i++) {
            Connection connection = connections.get(i);
            out.println("  {");
            out.println("    \"src\": " + quote(connection.source().toString()) + ",");
            out.println("    \"dst\": " + quote(connection.destination().toString()) + ",");
            out.println("    \"conn\": " + quote(connection.connections().toString()));
            out.println(i + 1 < connections.size() ? "  }," : "  }");
        }
        out.println("]");
    }

    private static String quote(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\r' -> quoted.append("\\r");
                case '\t' -> quoted.append("\\t");
                default -> {
                    if (c < 0x20) {
                        quoted.append(String.format("\\u%04x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }
}
