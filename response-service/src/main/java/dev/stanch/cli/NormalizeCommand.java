package dev.stanch.cli;

import dev.stanch.detection.DetectionJson;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.json.JsonMapper;

/** {@code stanch normalize PATH...}: what Stanch makes of detector events, one JSON line each. */
@Command(
        name = "normalize",
        mixinStandardHelpOptions = true,
        description = {
            "Normalize detector events (Falco, Tetragon, KubeArmor, CloudEvents) into Stanch" + " detections, offline.",
            "",
            "Prints one JSON line per event:",
            "  {\"file\": PATH, \"detection\": {...}}",
            "  {\"file\": PATH, \"ignored\": REASON}      not an alert",
            "  {\"file\": PATH, \"rejected\": REASON}     unreadable, or no pod to act on",
            "Events read from a .jsonl file carry \"line\": N after \"file\".",
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every event became a detection or was ignored",
            "1:at least one event was rejected",
            "2:usage error: no PATH, or a PATH that is missing or unreadable"
        })
final class NormalizeCommand implements Callable<Integer> {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Spec
    CommandSpec spec;

    @Parameters(
            arity = "1..*",
            paramLabel = "PATH",
            description = {
                "An event file: one JSON event, or one per line in a .jsonl file.",
                "A directory: its .json and .jsonl files, recursively, in sorted order."
            })
    List<String> paths;

    private final DetectionNormalizer normalizer = new DetectionNormalizer();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        List<EventFiles.RawEvent> events;
        try {
            events = EventFiles.read(paths);
        } catch (EventFiles.UsageException e) {
            spec.commandLine().getErr().println("normalize: " + e.getMessage());
            return Cli.USAGE;
        }
        boolean rejected = false;
        for (EventFiles.RawEvent event : events) {
            rejected |= print(out, event, normalizer.normalize(event.content()));
        }
        out.flush();
        return rejected ? Cli.FINDINGS : Cli.OK;
    }

    private static boolean print(PrintWriter out, EventFiles.RawEvent event, Normalization normalization) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", event.file());
        if (event.line() != null) {
            json.put("line", event.line());
        }
        switch (normalization) {
            case Normalization.Normalized normalized ->
                json.put("detection", DetectionJson.toJsonMap(normalized.detection()));
            case Normalization.Ignored ignored -> json.put("ignored", ignored.reason());
            case Normalization.Rejected rejected -> json.put("rejected", rejected.reason());
        }
        out.println(JSON.writeValueAsString(json));
        return normalization instanceof Normalization.Rejected;
    }
}
