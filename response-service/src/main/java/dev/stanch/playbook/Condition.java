package dev.stanch.playbook;

import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A compiled, type-checked CEL condition. Evaluating it has no side effects; an evaluation error (a
 * missing map key, a division by zero) makes the condition not hold and says why.
 */
public final class Condition {

    private final String expression;
    private final CelRuntime.Program program;

    Condition(String expression, CelRuntime.Program program) {
        this.expression = Objects.requireNonNull(expression);
        this.program = Objects.requireNonNull(program);
    }

    public String expression() {
        return expression;
    }

    Verdict evaluate(Map<String, Object> variables) {
        try {
            Object result = program.eval(variables);
            return new Verdict(Boolean.TRUE.equals(result), null);
        } catch (CelEvaluationException e) {
            return new Verdict(false, e.getMessage());
        }
    }

    /** Whether the condition holds; {@code error} says why evaluation failed, when it did. */
    record Verdict(boolean holds, @Nullable String error) {}

    @Override
    public String toString() {
        return expression;
    }
}
