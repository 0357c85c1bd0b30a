package dev.stanch.cli;

import dev.stanch.detection.Connection;
import dev.stanch.detection.Detection;
import dev.stanch.detection.DetectionJson;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Decision;
import dev.stanch.playbook.Durations;
import dev.stanch.playbook.History;
import dev.stanch.playbook.PlaybookEngine;
import dev.stanch.playbook.PlaybookLoader;
import dev.stanch.playbook.PlaybookSet;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;

@Command(
        name = "simulate",
        mixinStandardHelpOptions = true,
        description = {
            "Run events through the playbooks and show what Stanch would do: the detection, the"
                    + " playbook and stage that match (or why none does), and the action with its"
                    + " parameters resolved. No cluster, no side effects.",
            "Events are counted per playbook and pod in the order given, so a sequence shows the ladder"
                    + " climbing; --occurrence fixes the count instead.",
            "Exit 0 on success, 1 when the playbooks are invalid or an event is rejected, 2 on usage errors."
        })
final class SimulateCommand implements Callable<Integer> {

    enum Format {
        text,
        json
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--playbooks", required = true, paramLabel = "PATH", description = "Playbook file or directory.")
    Path playbooks;

    @Option(
            names = "--events",
            required = true,
            arity = "1..*",
            paramLabel = "PATH",
            description = "Event files (.json: one event; .jsonl: one per line) or directories.")
    List<String> events;

    @Option(
            names = "--occurrence",
            paramLabel = "N",
            description = "Treat every event as the N-th occurrence for its pod (default: count them).")
    @Nullable
    Integer occurrence;

    @Option(
            names = "--format",
            defaultValue = "text",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (occurrence != null && occurrence < 1) {
            err.println("simulate: --occurrence must be 1 or more, not " + occurrence);
            return Cli.USAGE;
        }
        PlaybookSet set;
        List<EventFiles.RawEvent> raw;
        try {
            set = new PlaybookLoader().load(List.of(playbooks));
            raw = EventFiles.read(events);
        } catch (NoSuchFileException e) {
            err.println("simulate: no such file or directory: " + e.getFile());
            return Cli.USAGE;
        } catch (IOException e) {
            err.println("simulate: " + e.getMessage());
            return Cli.USAGE;
        } catch (EventFiles.UsageException e) {
            err.println("simulate: " + e.getMessage());
            return Cli.USAGE;
        }
        set.problems().forEach(err::println);
        if (!set.isValid()) {
            err.println("simulate: the playbooks have errors; fix them first");
            return Cli.FINDINGS;
        }

        PlaybookEngine engine = new PlaybookEngine(set.playbooks());
        DetectionNormalizer normalizer = new DetectionNormalizer();
        History.InMemory counted = new History.InMemory();
        History history = occurrence == null ? counted : (playbook, target, from, to, excludingId) -> occurrence - 1L;
        boolean rejected = false;
        for (EventFiles.RawEvent event : raw) {
            Normalization normalization = normalizer.normalize(event.content());
            Decision decision = null;
            switch (normalization) {
                case Normalization.Ignored ignored -> {}
                case Normalization.Rejected rejection -> rejected = true;
                case Normalization.Normalized normalized -> {
                    decision = engine.decide(normalized.detection(), history);
                    counted.record(normalized.detection(), decision.matchedPlaybooks());
                }
            }
            switch (format) {
                case json -> out.println(JSON.writeValueAsString(json(event, normalization, decision)));
                case text -> printText(out, event, normalization, decision);
            }
        }
        out.flush();
        return rejected ? Cli.FINDINGS : Cli.OK;
    }

    /** One JSON line: where the event came from, and what became of it. */
    private static Map<String, Object> json(
            EventFiles.RawEvent event, Normalization normalization, @Nullable Decision decision) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("file", event.file());
        if (event.line() != null) {
            result.put("line", event.line());
        }
        switch (normalization) {
            case Normalization.Ignored ignored -> result.put("ignored", ignored.reason());
            case Normalization.Rejected rejection -> result.put("rejected", rejection.reason());
            case Normalization.Normalized normalized -> {
                result.put("detection", DetectionJson.toJsonMap(normalized.detection()));
                describe(decision, result);
            }
        }
        return result;
    }

    private static void describe(Decision decision, Map<String, Object> result) {
        switch (decision) {
            case Decision.Act act -> {
                ActionRequest request = act.request();
                result.put("playbook", request.playbook());
                result.put("stage", request.stage());
                result.put("occurrence", request.occurrence());
                Map<String, Object> action = new LinkedHashMap<>();
                action.put("kind", request.kind().wireName());
                action.put(
                        "target",
                        Map.of(
                                "namespace",
                                request.target().namespace(),
                                "pod",
                                request.target().pod()));
                action.put("params", request.params());
                action.put("approval", request.approval().wireName());
                if (request.approvalTimeout() != null) {
                    action.put("approvalTimeout", Durations.format(request.approvalTimeout()));
                    action.put("onApprovalTimeout", request.onApprovalTimeout().wireName());
                }
                if (request.expireAfter() != null) {
                    action.put("expireAfter", Durations.format(request.expireAfter()));
                }
                action.put("dryRun", request.dryRun());
                result.put("action", action);
            }
            case Decision.NoAction noAction -> result.put("action", null);
        }
        result.put("matched", decision.matchedPlaybooks());
        List<Map<String, String>> misses = new ArrayList<>();
        for (Decision.Miss miss : decision.misses()) {
            Map<String, String> entry = new LinkedHashMap<>();
            entry.put("playbook", miss.playbook());
            entry.put("reason", miss.reason());
            misses.add(entry);
        }
        result.put("notActing", misses);
    }

    private static void printText(
            PrintWriter out, EventFiles.RawEvent event, Normalization normalization, @Nullable Decision decision) {
        out.println(event.location());
        switch (normalization) {
            case Normalization.Ignored ignored -> out.println("  ignored    " + ignored.reason());
            case Normalization.Rejected rejection -> out.println("  rejected   " + rejection.reason());
            case Normalization.Normalized normalized -> {
                out.println("  detection  " + summary(normalized.detection()));
                switch (decision) {
                    case Decision.NoAction noAction -> out.println("  action     none");
                    case Decision.Act act -> printAction(out, act.request());
                }
                // With an action, a playbook that did not even match is noise; without one, every
                // reason is the answer to "why did nothing happen?".
                for (Decision.Miss miss : decision.misses()) {
                    if (decision instanceof Decision.NoAction
                            || decision.matchedPlaybooks().contains(miss.playbook())) {
                        out.println("  not acting " + miss.playbook() + ": " + miss.reason());
                    }
                }
            }
        }
    }

    private static void printAction(PrintWriter out, ActionRequest request) {
        out.printf(
                "  playbook   %s, stage %s (occurrence %d)%n",
                request.playbook(), request.stage(), request.occurrence());
        StringBuilder line = new StringBuilder("  action     ")
                .append(request.kind().wireName())
                .append(" on ")
                .append(request.target().key())
                .append(", approval ")
                .append(request.approval().wireName());
        if (request.approvalTimeout() != null) {
            line.append(" within ")
                    .append(Durations.format(request.approvalTimeout()))
                    .append(" else ")
                    .append(request.onApprovalTimeout().wireName());
        }
        if (request.expireAfter() != null) {
            line.append(", expires after ").append(Durations.format(request.expireAfter()));
        }
        if (request.dryRun()) {
            line.append(", dry run");
        }
        out.println(line);
        if (!request.params().isEmpty()) {
            StringBuilder text = new StringBuilder("  params    ");
            request.params()
                    .forEach((key, value) ->
                            text.append(' ').append(key).append('=').append(value));
            out.println(text);
        }
    }

    private static String summary(Detection detection) {
        StringBuilder text = new StringBuilder()
                .append(detection.source().wireName())
                .append(" \"")
                .append(detection.rule())
                .append("\" ")
                .append(detection.severity().wireName())
                .append(' ')
                .append(detection.target().key());
        Connection connection = detection.connection();
        if (connection != null) {
            text.append(' ')
                    .append(connection.direction().wireName())
                    .append(' ')
                    .append(connection.protocol())
                    .append(' ')
                    .append(connection.peerIp().contains(":") ? "[" + connection.peerIp() + "]" : connection.peerIp());
            if (connection.peerPort() != null) {
                text.append(':').append(connection.peerPort());
            }
        }
        return text.toString();
    }
}
