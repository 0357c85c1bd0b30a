package dev.stanch.playbook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RuleGlobTest {

    @Test
    void starAndQuestionMarkAreTheOnlyWildcards() {
        assertThat(RuleGlob.of("Unexpected outbound*").matches("Unexpected outbound connection destination"))
                .isTrue();
        assertThat(RuleGlob.of("Unexpected outbound*").matches("unexpected outbound connection"))
                .isFalse();
        assertThat(RuleGlob.of("*").matches("anything at all")).isTrue();
        assertThat(RuleGlob.of("tcp_?onnect").matches("tcp_connect")).isTrue();
        assertThat(RuleGlob.of("Attach/Exec Pod").matches("Attach/Exec Pod")).isTrue();
        assertThat(RuleGlob.of("a.b (c)+[d]").matches("a.b (c)+[d]")).isTrue();
        assertThat(RuleGlob.of("a.b").matches("axb")).isFalse();
        assertThat(RuleGlob.of("Terminal shell in container").matches("Terminal shell in container x"))
                .isFalse();
    }
}
