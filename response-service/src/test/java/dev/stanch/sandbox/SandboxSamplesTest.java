package dev.stanch.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.detection.Detection;
import dev.stanch.detection.DetectionNormalizer;
import dev.stanch.detection.Normalization;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.Decision;
import dev.stanch.playbook.History;
import dev.stanch.playbook.PlaybookEngine;
import dev.stanch.playbook.PlaybookLoader;
import dev.stanch.playbook.PlaybookSet;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox's sample detections do what its banner promises, with the shipped playbooks. */
class SandboxSamplesTest {

    private static final Pod WEB = new PodBuilder()
            .withNewMetadata()
            .withNamespace("demo")
            .withName("web-6d8f9c7b5-x2k4q")
            .endMetadata()
            .withNewStatus()
            .withPodIP("10.244.1.10")
            .endStatus()
            .build();

    @Test
    void theShellAsksToQuarantineAndTheC2ConnectionIsCut(@TempDir Path dir) throws IOException {
        List<Path> samples = SandboxSamples.write(dir, List.of(WEB));
        PlaybookSet shipped =
                new PlaybookLoader().load(List.of(Path.of(System.getProperty("stanch.repo", ".."), "playbooks")));
        assertThat(shipped.errors()).isEmpty();
        PlaybookEngine engine = new PlaybookEngine(shipped.playbooks());

        Detection shell = normalized(samples.get(0));
        assertThat(shell.target().pod()).isEqualTo("web-6d8f9c7b5-x2k4q");
        Decision.Act ask = (Decision.Act) engine.decide(shell, new History.InMemory());
        assertThat(ask.request().playbook()).isEqualTo("terminal-shell");
        assertThat(ask.request().kind()).isEqualTo(ActionKind.QUARANTINE_POD);

        Detection c2 = normalized(samples.get(1));
        assertThat(c2.connection()).isNotNull();
        assertThat(c2.connection().peerIp()).isEqualTo("203.0.113.7");
        assertThat(c2.connection().peerPort()).isEqualTo(443);
        Decision.Act cut = (Decision.Act) engine.decide(c2, new History.InMemory());
        assertThat(cut.request().playbook()).isEqualTo("outbound-c2");
        assertThat(cut.request().kind()).isEqualTo(ActionKind.BLOCK_CONNECTION);
    }

    private static Detection normalized(Path sample) throws IOException {
        Normalization normalization = new DetectionNormalizer().normalize(Files.readString(sample));
        assertThat(normalization).isInstanceOf(Normalization.Normalized.class);
        return ((Normalization.Normalized) normalization).detection();
    }
}
