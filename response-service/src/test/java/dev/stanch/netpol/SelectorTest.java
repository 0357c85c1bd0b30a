package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelectorTest {

    private static final Map<String, String> FRONTEND = Map.of("app", "web", "tier", "frontend");
    private static final Map<String, String> UNLABELLED = Map.of();

    private static Selector expression(String key, String operator, String... values) {
        LabelSelector selector = new LabelSelectorBuilder()
                .addNewMatchExpression()
                .withKey(key)
                .withOperator(operator)
                .withValues(List.of(values))
                .endMatchExpression()
                .build();
        return Selector.of(selector, "test");
    }

    @Test
    void theEmptySelectorMatchesEverything() {
        assertThat(Selector.of(new LabelSelector(), "test").matches(UNLABELLED)).isTrue();
        assertThat(Selector.EVERYTHING.matches(FRONTEND)).isTrue();
    }

    @Test
    void matchLabelsNeedEveryPair() {
        Selector selector = Selector.of(
                new LabelSelectorBuilder().addToMatchLabels("app", "web").build(), "test");
        assertThat(selector.matches(FRONTEND)).isTrue();
        assertThat(selector.matches(Map.of("app", "db"))).isFalse();
        assertThat(selector.matches(UNLABELLED)).isFalse();
    }

    @Test
    void in() {
        Selector selector = expression("tier", "In", "frontend", "edge");
        assertThat(selector.matches(FRONTEND)).isTrue();
        assertThat(selector.matches(Map.of("tier", "backend"))).isFalse();
        assertThat(selector.matches(UNLABELLED)).isFalse();
    }

    @Test
    void notInAlsoMatchesPodsWithoutTheKey() {
        Selector selector = expression("tier", "NotIn", "frontend");
        assertThat(selector.matches(FRONTEND)).isFalse();
        assertThat(selector.matches(Map.of("tier", "backend"))).isTrue();
        assertThat(selector.matches(UNLABELLED)).isTrue();
    }

    @Test
    void existsAndDoesNotExist() {
        assertThat(expression("app", "Exists").matches(FRONTEND)).isTrue();
        assertThat(expression("app", "Exists").matches(UNLABELLED)).isFalse();
        assertThat(expression("app", "DoesNotExist").matches(FRONTEND)).isFalse();
        assertThat(expression("app", "DoesNotExist").matches(UNLABELLED)).isTrue();
    }

    @Test
    void labelsAndExpressionsMustAllHold() {
        Selector selector = Selector.fromMap(
                Map.of(
                        "matchLabels",
                        Map.of("app", "web"),
                        "matchExpressions",
                        List.of(Map.of("key", "tier", "operator", "In", "values", List.of("backend")))),
                "test");
        assertThat(selector.matches(FRONTEND)).isFalse();
        assertThat(selector.matches(Map.of("app", "web", "tier", "backend"))).isTrue();
    }

    @Test
    void rejectsWhatTheApiServerRejects() {
        assertThatThrownBy(() -> expression("app", "Equals", "x"))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessageContaining("unknown operator 'Equals'");
        assertThatThrownBy(() -> expression("app", "In"))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessageContaining("needs values");
        assertThatThrownBy(() -> expression("app", "Exists", "x"))
                .isInstanceOf(InvalidResourceException.class)
                .hasMessageContaining("takes no values");
    }
}
