package dev.stanch.guardrail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stanch.action.Safety;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The guardrails' configuration: its defaults, its validation, and binding from {@code stanch.guardrails.*}. */
class GuardrailsTest {

    @Test
    void theDefaultsAreSafeAndWrittenDown() {
        Guardrails defaults = Guardrails.defaults();

        assertThat(defaults.protectedNamespaces())
                .containsExactlyInAnyOrder("kube-system", "kube-public", "kube-node-lease");
        assertThat(defaults.ownNamespace()).isEqualTo("stanch");
        assertThat(defaults.ownPodLabels()).containsExactly(Map.entry("app.kubernetes.io/name", "stanch"));
        assertThat(defaults.maxQuarantineShare()).isEqualTo(0.5);
        assertThat(defaults.actionsPerMinute()).isEqualTo(30);
        assertThat(defaults.actionsPerMinutePerNamespace()).isEqualTo(10);
        assertThat(defaults.maxActiveActions()).isEqualTo(100);
        assertThat(defaults.dryRun()).isFalse();
    }

    @Test
    void theSameRecordConfiguresThePlannersSafety() {
        assertThat(Guardrails.defaults().safety()).isEqualTo(Safety.defaults());

        Guardrails custom = new Guardrails(
                Set.of("payments"), "security", Map.of("app", "stanch-dev"), 0.25, null, null, null, false);

        assertThat(custom.safety())
                .isEqualTo(new Safety(Set.of("payments"), "security", Map.of("app", "stanch-dev"), 0.25));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            actionsPerMinute 0              | actionsPerMinute must be at least 1, not 0 (to stop every action, pause Stanch instead)
            actionsPerMinutePerNamespace -1 | actionsPerMinutePerNamespace must be at least 1, not -1 (to stop every action, pause Stanch instead)
            maxActiveActions 0              | maxActiveActions must be at least 1, not 0 (to stop every action, pause Stanch instead)
            maxQuarantineShare 0            | maxQuarantineShare must be in (0, 1]: 0.0
            maxQuarantineShare 1.5          | maxQuarantineShare must be in (0, 1]: 1.5
            maxQuarantineShare NaN          | maxQuarantineShare must be in (0, 1]: NaN
            ownPodLabels {}                 | ownPodLabels is empty: Stanch's own pods need at least one label to be recognized by
            ownNamespace Stanch             | ownNamespace: "Stanch" is not a namespace name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)
            protectedNamespaces Kube-System | protectedNamespaces: "Kube-System" is not a namespace name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)
            protectedNamespaces -payments   | protectedNamespaces: "-payments" is not a namespace name (lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters)
            """)
    void aBadValueIsRefusedWithAnErrorNamingItsField(String setting, String message) {
        String[] parts = setting.split(" ");
        String value = parts[1];
        assertThatThrownBy(() -> build(parts[0], value))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    /** Guardrails with one field set to {@code value}, every other one left out. */
    private static Guardrails build(String field, String value) {
        return switch (field) {
            case "actionsPerMinute" ->
                new Guardrails(null, null, null, null, Integer.valueOf(value), null, null, false);
            case "actionsPerMinutePerNamespace" ->
                new Guardrails(null, null, null, null, null, Integer.valueOf(value), null, false);
            case "maxActiveActions" ->
                new Guardrails(null, null, null, null, null, null, Integer.valueOf(value), false);
            case "maxQuarantineShare" ->
                new Guardrails(null, null, null, Double.valueOf(value), null, null, null, false);
            case "ownPodLabels" -> new Guardrails(null, null, Map.of(), null, null, null, null, false);
            case "ownNamespace" -> new Guardrails(null, value, null, null, null, null, null, false);
            case "protectedNamespaces" ->
                new Guardrails(Set.of("kube-system", value), null, null, null, null, null, null, false);
            default -> throw new AssertionError(field);
        };
    }

    @Test
    void theSmallestLimitsAndTheWholeWorkloadAreAllowed() {
        Guardrails tightest = new Guardrails(Set.of(), null, null, 1.0, 1, 1, 1, true);

        assertThat(tightest.actionsPerMinute()).isEqualTo(1);
        assertThat(tightest.actionsPerMinutePerNamespace()).isEqualTo(1);
        assertThat(tightest.maxActiveActions()).isEqualTo(1);
        assertThat(tightest.maxQuarantineShare()).isEqualTo(1.0);
        assertThat(tightest.safety().isProtected("kube-system")).isFalse();
        assertThat(tightest.safety().isProtected("stanch"))
                .as("Stanch's own namespace stays protected")
                .isTrue();
    }

    // ------------------------------------------------------------------ Spring Boot binding

    @Test
    void nothingSetBindsTheDefaults() {
        // As @ConfigurationProperties does: the record is created even when no property is set.
        Guardrails bound = new Binder(new MapConfigurationPropertySource(Map.of()))
                .bindOrCreate("stanch.guardrails", Guardrails.class);

        assertThat(bound).isEqualTo(Guardrails.defaults());
    }

    @Test
    void everyFieldBindsFromItsKebabCaseProperty() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("stanch.guardrails.protected-namespaces", "kube-system,payments");
        properties.put("stanch.guardrails.own-namespace", "security");
        properties.put("stanch.guardrails.own-pod-labels.[app.kubernetes.io/name]", "stanch-dev");
        properties.put("stanch.guardrails.max-quarantine-share", "0.25");
        properties.put("stanch.guardrails.actions-per-minute", "60");
        properties.put("stanch.guardrails.actions-per-minute-per-namespace", "20");
        properties.put("stanch.guardrails.max-active-actions", "200");
        properties.put("stanch.guardrails.dry-run", "true");

        assertThat(bind(properties))
                .isEqualTo(new Guardrails(
                        Set.of("kube-system", "payments"),
                        "security",
                        Map.of("app.kubernetes.io/name", "stanch-dev"),
                        0.25,
                        60,
                        20,
                        200,
                        true));
    }

    @Test
    void aBadPropertyFailsTheBindingWithTheFieldsMessage() {
        assertThatThrownBy(() -> bind(Map.of("stanch.guardrails.actions-per-minute", "0")))
                .isInstanceOf(BindException.class)
                .hasMessageContaining("stanch.guardrails")
                .rootCause()
                .hasMessage("actionsPerMinute must be at least 1, not 0 (to stop every action, pause Stanch instead)");
    }

    private static Guardrails bind(Map<String, String> properties) {
        return new Binder(new MapConfigurationPropertySource(properties))
                .bind("stanch.guardrails", Guardrails.class)
                .get();
    }
}
