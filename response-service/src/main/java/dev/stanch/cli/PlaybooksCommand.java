package dev.stanch.cli;

import dev.stanch.playbook.PlaybookLoader;
import dev.stanch.playbook.PlaybookSet;
import dev.stanch.playbook.Problem;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "playbooks",
        mixinStandardHelpOptions = true,
        description = "Work with playbook files.",
        subcommands = {PlaybooksCommand.Validate.class})
final class PlaybooksCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Cli.USAGE;
    }

    @Command(
            name = "validate",
            mixinStandardHelpOptions = true,
            description = {
                "Validate playbook files and directories (every .yaml/.yml below them).",
                "Prints one line per problem: file:line: field: message. Exit 0 when every playbook is"
                        + " valid (warnings allowed), 1 when any has an error, 2 on usage errors."
            })
    static final class Validate implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(arity = "1..*", paramLabel = "PATH", description = "Playbook files or directories.")
        List<Path> paths;

        @Override
        public Integer call() {
            PlaybookSet set;
            try {
                set = new PlaybookLoader().load(paths);
            } catch (NoSuchFileException e) {
                spec.commandLine().getErr().println("playbooks validate: no such file or directory: " + e.getFile());
                return Cli.USAGE;
            } catch (IOException e) {
                spec.commandLine().getErr().println("playbooks validate: " + e.getMessage());
                return Cli.USAGE;
            }
            var out = spec.commandLine().getOut();
            for (Problem problem : set.problems()) {
                out.println(problem);
            }
            long errors = set.errors().size();
            long warnings = set.problems().size() - errors;
            out.printf(
                    "%d playbook%s valid, %d error%s, %d warning%s%n",
                    set.playbooks().size(),
                    set.playbooks().size() == 1 ? "" : "s",
                    errors,
                    errors == 1 ? "" : "s",
                    warnings,
                    warnings == 1 ? "" : "s");
            out.flush();
            return set.isValid() ? Cli.OK : Cli.FINDINGS;
        }
    }
}
