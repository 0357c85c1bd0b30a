package dev.stanch.cli;

import dev.stanch.detection.DetectionJson;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
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
      "Normalize detector events (Falco, Tetragon, KubeArmor, CloudEvents) into Stanch"
          + " detections, offline.",
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

  @Spec CommandSpec spec;

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
    PrintWriter err = spec.commandLine().getErr();
    List<EventFile> given = new ArrayList<>();
    for (String path : paths) {
      try {
        Path file = Path.of(path);
        if (!Files.exists(file)) {
          err.println("normalize: no such file or directory: " + path);
          return Cli.USAGE;
        }
        if (!Files.isReadable(file)) {
          err.println("normalize: not readable: " + path);
          return Cli.USAGE;
        }
        given.add(new EventFile(file, path));
      } catch (InvalidPathException e) {
        err.println("normalize: not a path: " + path);
        return Cli.USAGE;
      }
    }

    boolean rejected = false;
    boolean unreadable = false;
    for (EventFile path : given) {
      List<EventFile> files;
      try {
        files = eventFiles(path);
      } catch (IOException | UncheckedIOException e) {
        err.println("normalize: cannot list " + path.shown() + ": " + e.getMessage());
        unreadable = true;
        continue;
      }
      for (EventFile file : files) {
        try {
          rejected |= normalizeFile(file, out);
        } catch (IOException e) {
          err.println("normalize: cannot read " + file.shown() + ": " + e.getMessage());
          unreadable = true;
        }
      }
    }
    out.flush();
    return unreadable ? Cli.USAGE : rejected ? Cli.FINDINGS : Cli.OK;
  }

  /**
   * A file to read, and how to name it in the output: the path as the user gave it, or for a file
   * found in a directory, the directory as given joined with the file's relative path.
   */
  private record EventFile(Path path, String shown) {}

  /**
   * A file as given, or a directory's event files: other files there (a README, SOURCES.md) are not
   * events, and reporting them as rejected would only be noise.
   */
  private static List<EventFile> eventFiles(EventFile given) throws IOException {
    if (!Files.isDirectory(given.path())) {
      return List.of(given);
    }
    String prefix = given.shown().endsWith("/") ? given.shown() : given.shown() + "/";
    try (Stream<Path> walk = Files.walk(given.path())) {
      return walk.filter(Files::isRegularFile)
          .filter(file -> !file.getFileName().toString().startsWith("."))
          .filter(NormalizeCommand::isEventFile)
          .map(given.path()::relativize)
          .sorted()
          .map(relative -> new EventFile(given.path().resolve(relative), prefix + relative))
          .toList();
    }
  }

  private static boolean isEventFile(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".json") || name.endsWith(".jsonl");
  }

  /** Prints the file's outcomes; true if any event was rejected. */
  private boolean normalizeFile(EventFile file, PrintWriter out) throws IOException {
    byte[] content = Files.readAllBytes(file.path());
    if (!file.path().getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonl")) {
      return print(out, file, null, normalizer.normalize(content));
    }
    boolean rejected = false;
    int lineNumber = 0;
    int start = 0;
    while (start < content.length) {
      int end = start;
      while (end < content.length && content[end] != '\n') {
        end++;
      }
      lineNumber++;
      byte[] line = Arrays.copyOfRange(content, start, end);
      if (!new String(line, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
        rejected |= print(out, file, lineNumber, normalizer.normalize(line));
      }
      start = end + 1;
    }
    return rejected;
  }

  private static boolean print(
      PrintWriter out, EventFile file, @Nullable Integer line, Normalization normalization) {
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("file", file.shown());
    if (line != null) {
      json.put("line", line);
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
