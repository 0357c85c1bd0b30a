package dev.stanch.playbook;

import com.google.common.collect.ImmutableCollection;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableSet;
import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.CelTypeProvider;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.common.types.StructType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.stanch.detection.Connection;
import dev.stanch.detection.Detection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CEL environments of playbooks. {@code detection} is a declared type, so a misspelled field or
 * a comparison of a port with a string is refused when the playbook loads, not when a detection
 * arrives. Match conditions see {@code detection}; stage conditions also see {@code occurrences},
 * the number of matching detections for the target in the playbook's window, this one included.
 *
 * <p>Absent values are zero values, as in protobuf: a detection without a connection has {@code
 * detection.connection.peerIp == ""} and {@code detection.connection.peerPort == 0}.
 */
final class Conditions {

    static final String DETECTION = "detection";
    static final String OCCURRENCES = "occurrences";

    private static final StructType TARGET = StructType.create(
            "stanch.Target", ImmutableSet.of("namespace", "pod", "container"), field -> Optional.of(SimpleType.STRING));

    private static final StructType CONNECTION = StructType.create(
            "stanch.Connection",
            ImmutableSet.of("direction", "protocol", "peerIp", "peerPort", "localIp", "localPort"),
            field -> Optional.of(field.endsWith("Port") ? SimpleType.INT : SimpleType.STRING));

    private static final StructType DETECTION_TYPE = StructType.create(
            "stanch.Detection",
            ImmutableSet.of("id", "source", "rule", "severity", "time", "target", "connection", "fields"),
            field -> Optional.of(
                    switch (field) {
                        case "target" -> TARGET;
                        case "connection" -> CONNECTION;
                        case "fields" -> MapType.create(SimpleType.STRING, SimpleType.DYN);
                        case "time" -> SimpleType.TIMESTAMP;
                        default -> SimpleType.STRING;
                    }));

    private static final CelTypeProvider TYPES = new CelTypeProvider() {
        private final ImmutableList<CelType> types = ImmutableList.of(TARGET, CONNECTION, DETECTION_TYPE);

        @Override
        public ImmutableCollection<CelType> types() {
            return types;
        }

        @Override
        public Optional<CelType> findType(String name) {
            return types.stream().filter(type -> type.name().equals(name)).findFirst();
        }
    };

    /** Bounds what one condition may cost: conditions run on every detection. */
    private static final CelOptions OPTIONS = CelOptions.current()
            .maxExpressionCodePointSize(4_096)
            .comprehensionMaxIterations(1_000)
            .build();

    private final Cel matchEnvironment = environment(false);
    private final Cel stageEnvironment = environment(true);

    private static Cel environment(boolean withOccurrences) {
        var builder = CelFactory.standardCelBuilder()
                .setOptions(OPTIONS)
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .addCompilerLibraries(CelExtensions.strings())
                .addRuntimeLibraries(CelExtensions.strings())
                .setTypeProvider(TYPES)
                .addVar(DETECTION, DETECTION_TYPE)
                .setResultType(SimpleType.BOOL);
        if (withOccurrences) {
            builder.addVar(OCCURRENCES, SimpleType.INT);
        }
        return builder.build();
    }

    /** A compile error at a line of the expression (1-based). */
    record CompileError(int line, String message) {}

    sealed interface Compiled {}

    record Ok(Condition condition) implements Compiled {}

    record Failed(List<CompileError> errors) implements Compiled {}

    Compiled compileMatch(String expression) {
        return compile(matchEnvironment, expression);
    }

    Compiled compileStage(String expression) {
        return compile(stageEnvironment, expression);
    }

    private static Compiled compile(Cel cel, String expression) {
        try {
            CelAbstractSyntaxTree ast = cel.compile(expression).getAst();
            return new Ok(new Condition(expression, cel.createProgram(ast)));
        } catch (CelValidationException e) {
            List<CompileError> errors = e.getErrors().stream()
                    .map((CelIssue issue) -> new CompileError(
                            Math.max(1, issue.getSourceLocation().getLine()), issue.getMessage()))
                    .toList();
            return new Failed(errors);
        } catch (CelEvaluationException e) {
            // createProgram fails only for an environment bug, never for user input; say so plainly.
            return new Failed(List.of(new CompileError(1, "cannot plan expression: " + e.getMessage())));
        }
    }

    /** The variables a stage condition sees: the detection's CEL value and the occurrences. */
    static Map<String, Object> variables(Map<String, Object> detection, long occurrences) {
        return Map.of(DETECTION, detection, OCCURRENCES, occurrences);
    }

    /**
     * The detection as CEL sees it. Built once per decision: converting {@code fields} (a Tetragon
     * event carries about 150 of them) is the costly part, and every condition reads the same value.
     */
    static Map<String, Object> value(Detection detection) {
        Map<String, Object> target = new HashMap<>();
        target.put("namespace", detection.target().namespace());
        target.put("pod", detection.target().pod());
        target.put("container", orEmpty(detection.target().container()));

        Map<String, Object> connection = new HashMap<>();
        Connection flow = detection.connection();
        connection.put("direction", flow == null ? "" : flow.direction().wireName());
        connection.put("protocol", flow == null ? "" : flow.protocol());
        connection.put("peerIp", flow == null ? "" : flow.peerIp());
        connection.put("peerPort", flow == null || flow.peerPort() == null ? 0L : (long) flow.peerPort());
        connection.put("localIp", flow == null ? "" : orEmpty(flow.localIp()));
        connection.put("localPort", flow == null || flow.localPort() == null ? 0L : (long) flow.localPort());

        Map<String, Object> value = new HashMap<>();
        value.put("id", detection.id());
        value.put("source", detection.source().wireName());
        value.put("rule", detection.rule());
        value.put("severity", detection.severity().wireName());
        // Nested values must be java.time.Instant for this CEL runtime, not protobuf Timestamps.
        value.put("time", detection.time());
        value.put("target", target);
        value.put("connection", connection);
        value.put("fields", CelValues.of(detection.fields()));
        return value;
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }
}
