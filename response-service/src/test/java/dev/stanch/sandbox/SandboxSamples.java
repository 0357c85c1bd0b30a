package dev.stanch.sandbox;

import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Detections to try the sandbox with, written as files for {@code curl --data @file}: Falco events
 * as Falcosidekick's webhook posts them, aimed at the demo's pods. Each names the time it was written,
 * so a file sent twice is one detection (its id is a hash of the event) — that is the point.
 */
final class SandboxSamples {

    private SandboxSamples() {}

    static List<Path> write(Path workDir, List<Pod> webPods) {
        String time = Instant.now().toString();
        Pod first = webPods.getFirst();
        String pod = first.getMetadata().getName();
        String ip = first.getStatus().getPodIP();
        Path shell = workDir.resolve("terminal-shell.json");
        Sandbox.writeString(shell, """
                {"output":"A shell was spawned in a container with an attached terminal (user=root k8s.ns=demo k8s.pod=%1$s)",\
                "priority":"Notice","rule":"Terminal shell in container","time":"%2$s","source":"syscalls",\
                "output_fields":{"k8s.ns.name":"demo","k8s.pod.name":"%1$s","container.name":"web",\
                "proc.name":"sh","proc.cmdline":"sh","user.name":"root"}}
                """.formatted(pod, time));
        Path c2 = workDir.resolve("outbound-c2.json");
        Sandbox.writeString(c2, """
                {"output":"Outbound connection to C2 server (k8s.ns=demo k8s.pod=%1$s connection=%2$s:41234->203.0.113.7:443)",\
                "priority":"Warning","rule":"Outbound Connection to C2 Servers","time":"%3$s","source":"syscalls",\
                "output_fields":{"k8s.ns.name":"demo","k8s.pod.name":"%1$s","container.name":"web",\
                "evt.type":"connect","fd.type":"ipv4","fd.l4proto":"tcp",\
                "fd.name":"%2$s:41234->203.0.113.7:443","fd.lip":"%2$s","fd.lport":41234,\
                "fd.rip":"203.0.113.7","fd.rport":443}}
                """.formatted(pod, ip, time));
        return List.of(shell, c2);
    }
}
