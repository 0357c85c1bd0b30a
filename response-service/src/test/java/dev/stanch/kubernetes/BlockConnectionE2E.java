package dev.stanch.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ActionType;
import dev.stanch.action.PlanInput;
import dev.stanch.action.Planning;
import dev.stanch.action.Safety;
import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * block-connection and quarantine-pod on a real cluster that enforces NetworkPolicy — k3s, whose
 * embedded network policy controller (kube-router's) programs the policies into iptables on the
 * node — proven on the wire: a {@code wget} from one pod to another succeeds or times out.
 *
 * <p>Each test plans the action exactly as the service does (a {@link ClusterReader} snapshot,
 * {@link ActionType#plan}), applies and verifies it with the {@link ActionExecutor}, then checks that
 * the planned flow fails while the pod's other flows still work, and that after rollback the flow
 * works again. The policy controller applies a new policy a moment after the API server stores it,
 * so every reachability check polls until it sees what it expects, and fails with what it saw.
 *
 * <p>Needs a Docker engine that can run privileged containers and pull {@code rancher/k3s} and
 * {@code busybox}; without one the class is skipped.
 */
@Testcontainers(disabledWithoutDocker = true)
class BlockConnectionE2E {

    /** Pinned, the same as docker-compose.yml: the k3s release decides Kubernetes and the policy controller. */
    static final DockerImageName K3S = DockerImageName.parse("rancher/k3s:v1.33.1-k3s1");

    /** Pinned, with {@code httpd}, {@code wget} and {@code sleep}: servers and clients alike. */
    static final String BUSYBOX = "busybox:1.36.1";

    /** Long enough for a first image pull inside k3s on a slow line. */
    private static final Duration POD_START = Duration.ofMinutes(5);

    /** How long the policy controller may take to program (or remove) a policy. */
    private static final Duration ENFORCEMENT = Duration.ofSeconds(120);

    private static final int PORT_1 = 8080;
    private static final int PORT_2 = 9090;

    private static final AtomicInteger NAMESPACES = new AtomicInteger();

    private static @Nullable K3sContainer k3s;
    private static @Nullable KubernetesClient admin;

    private String namespace = "";
    private String serverIp = "";
    private String otherIp = "";
    private String clientIp = "";

    /**
     * Started here, not in a {@code @Container} field: the container's constructor already asks
     * Docker for its host, and the class must be skipped, not fail, where no Docker runs.
     */
    @BeforeAll
    static void startCluster() {
        K3sContainer container = new K3sContainer(K3S).withStartupTimeout(Duration.ofMinutes(5));
        container.start();
        k3s = container;
        admin = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(container.getKubeConfigYaml()))
                .build();
    }

    @AfterAll
    static void stopCluster() {
        if (admin != null) {
            admin.close();
        }
        if (k3s != null) {
            k3s.stop();
        }
    }

    private static KubernetesClient admin() {
        assertThat(admin).as("the k3s client").isNotNull();
        return admin;
    }

    /**
     * A namespace of its own per test: {@code server} answers HTTP on two ports, {@code other} on one,
     * {@code client} and {@code client-2} only ask.
     */
    @BeforeEach
    void pods() {
        namespace = "e2e-" + NAMESPACES.incrementAndGet();
        admin().namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(namespace)
                        .endMetadata()
                        .build())
                .create();
        // The API server refuses pods until the namespace's default ServiceAccount exists.
        admin().serviceAccounts()
                .inNamespace(namespace)
                .withName("default")
                .waitUntilCondition(Objects::nonNull, 2, TimeUnit.MINUTES);
        create(httpd("server", PORT_1, PORT_2));
        create(httpd("other", PORT_1));
        create(sleeper("client"));
        create(sleeper("client-2"));
        serverIp = running("server");
        otherIp = running("other");
        clientIp = running("client");
        running("client-2");
        // Before any action, every flow the tests cut or keep works.
        awaitReachable("client", serverIp, PORT_1, true, "before any action");
        awaitReachable("client", serverIp, PORT_2, true, "before any action");
        awaitReachable("client", otherIp, PORT_1, true, "before any action");
        awaitReachable("client-2", serverIp, PORT_1, true, "before any action");
    }

    @AfterEach
    void deleteNamespace() {
        admin().namespaces().withName(namespace).delete();
    }

    // ---------------------------------------------------------------- the actions

    @Test
    void anEgressBlockCutsTheFlowOnTheWireAndNothingElse() {
        ActionExecutor executor = new ActionExecutor(admin());
        ActionPlan plan = plan(ActionKind.BLOCK_CONNECTION, "client", block("egress", serverIp, PORT_1));
        assertThat(plan.params())
                .as("k3s serves endPort: the block is of one port, not of the whole address")
                .containsEntry("granularity", "port");

        executor.apply(plan);
        assertThat(executor.verify(plan)).as("problems the verifier found").isEmpty();

        awaitReachable("client", serverIp, PORT_1, false, "the blocked flow, after apply");
        assertReachable("client", serverIp, PORT_2, true, "the same peer on another port, while blocked");
        assertReachable("client", otherIp, PORT_1, true, "another pod on the blocked port, while blocked");
        assertReachable("client-2", serverIp, PORT_1, true, "another client to the blocked peer, while blocked");

        executor.rollback(plan);
        assertThat(executor.leftovers(plan.actionId()))
                .as("leftovers after rollback")
                .isEmpty();
        awaitReachable("client", serverIp, PORT_1, true, "the blocked flow, after rollback");
        assertReachable("client", serverIp, PORT_2, true, "the same peer on another port, after rollback");
    }

    @Test
    void anIngressBlockCutsTheFlowOnTheWireAndNothingElse() {
        ActionExecutor executor = new ActionExecutor(admin());
        // The server's own port 8080, from the client: the server is the pod acted on.
        ActionPlan plan = plan(ActionKind.BLOCK_CONNECTION, "server", block("ingress", clientIp, PORT_1));
        assertThat(plan.params()).containsEntry("granularity", "port");

        executor.apply(plan);
        assertThat(executor.verify(plan)).as("problems the verifier found").isEmpty();

        awaitReachable("client", serverIp, PORT_1, false, "the blocked flow, after apply");
        assertReachable("client", serverIp, PORT_2, true, "the same client to the server's other port, while blocked");
        assertReachable("client-2", serverIp, PORT_1, true, "another client to the blocked port, while blocked");
        assertReachable("client", otherIp, PORT_1, true, "the client to another pod, while blocked");

        executor.rollback(plan);
        assertThat(executor.leftovers(plan.actionId()))
                .as("leftovers after rollback")
                .isEmpty();
        awaitReachable("client", serverIp, PORT_1, true, "the blocked flow, after rollback");
    }

    @Test
    void aQuarantineCutsAllThePodsTrafficAndNoOneElses() {
        ActionExecutor executor = new ActionExecutor(admin());
        ActionPlan plan = plan(ActionKind.QUARANTINE_POD, "server", Map.of());

        executor.apply(plan);
        assertThat(executor.verify(plan)).as("problems the verifier found").isEmpty();

        awaitReachable("client", serverIp, PORT_1, false, "ingress to the quarantined pod, after apply");
        awaitReachable("client", serverIp, PORT_2, false, "ingress to the quarantined pod, after apply");
        awaitReachable("server", otherIp, PORT_1, false, "egress of the quarantined pod, after apply");
        assertReachable("client", otherIp, PORT_1, true, "between two other pods, during the quarantine");
        assertReachable("client-2", otherIp, PORT_1, true, "between two other pods, during the quarantine");

        executor.rollback(plan);
        assertThat(executor.leftovers(plan.actionId()))
                .as("leftovers after rollback")
                .isEmpty();
        awaitReachable("client", serverIp, PORT_1, true, "ingress to the pod, after rollback");
        awaitReachable("client", serverIp, PORT_2, true, "ingress to the pod, after rollback");
        awaitReachable("server", otherIp, PORT_1, true, "egress of the pod, after rollback");
    }

    // ---------------------------------------------------------------- planning, as the service does

    private ActionPlan plan(ActionKind kind, String pod, Map<String, Object> params) {
        ActionRequest request = new ActionRequest(
                "e2e",
                "stage",
                1,
                kind,
                new Target(namespace, pod, null),
                params,
                Approval.AUTO,
                null,
                OnApprovalTimeout.REJECT,
                null,
                false);
        String actionId = UUID.randomUUID().toString().substring(0, 8);
        Planning planning = ActionType.of(kind)
                .plan(new PlanInput(actionId, request, Safety.defaults()), new ClusterReader(admin()).read(namespace));
        assertThat(planning)
                .as("the planning of %s for %s/%s: %s", kind, namespace, pod, planning)
                .isInstanceOf(Planning.Planned.class);
        return ((Planning.Planned) planning).plan();
    }

    private static Map<String, Object> block(String direction, String peerIp, int port) {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("granularity", "port");
        params.put("direction", direction);
        params.put("protocol", "tcp");
        params.put("peerIp", peerIp);
        if (direction.equals("ingress")) {
            params.put("localPort", port); // the pod's port; the peer's is a client's ephemeral one
            params.put("peerPort", 51000);
        } else {
            params.put("peerPort", port);
        }
        return params;
    }

    // ---------------------------------------------------------------- pods

    private static Pod httpd(String name, int... ports) {
        StringBuilder script = new StringBuilder("mkdir -p /www && echo " + name + " > /www/index.html");
        for (int port : ports) {
            script.append(" && httpd -p ").append(port).append(" -h /www");
        }
        script.append(" && exec sleep 86400");
        return pod(name, List.of("sh", "-c", script.toString()));
    }

    private static Pod sleeper(String name) {
        return pod(name, List.of("sleep", "86400"));
    }

    private static Pod pod(String name, List<String> command) {
        return new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of("app", name))
                .endMetadata()
                .withNewSpec()
                .withTerminationGracePeriodSeconds(0L)
                .addNewContainer()
                .withName("main")
                .withImage(BUSYBOX)
                .withImagePullPolicy("IfNotPresent")
                .withCommand(command)
                .endContainer()
                .endSpec()
                .build();
    }

    private void create(Pod pod) {
        admin().pods().inNamespace(namespace).resource(pod).create();
    }

    /** Waits until the pod runs with an address, and returns the address. */
    private String running(String name) {
        try {
            Pod pod = admin().pods()
                    .inNamespace(namespace)
                    .withName(name)
                    .waitUntilCondition(
                            p -> p != null
                                    && p.getStatus() != null
                                    && "Running".equals(p.getStatus().getPhase())
                                    && p.getStatus().getPodIP() != null,
                            POD_START.toSeconds(),
                            TimeUnit.SECONDS);
            return pod.getStatus().getPodIP();
        } catch (RuntimeException e) {
            Pod pod = admin().pods().inNamespace(namespace).withName(name).get();
            throw new AssertionError(
                    "pod " + namespace + "/" + name + " did not run with an address within " + POD_START
                            + "; its status: " + (pod == null ? "gone" : pod.getStatus()),
                    e);
        }
    }

    // ---------------------------------------------------------------- reachability on the wire

    /** What one {@code wget} from a pod saw. */
    private record Attempt(int exitCode, String output) {
        boolean reached() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return (reached() ? "reached" : "not reached") + " (wget exit " + exitCode + ": " + output.strip() + ")";
        }
    }

    /** Polls until the flow is (or is not) reachable; fails with the last attempt seen. */
    private void awaitReachable(String from, String ip, int port, boolean expected, String what) {
        Instant deadline = Instant.now().plus(ENFORCEMENT);
        Attempt last = attempt(from, ip, port);
        int attempts = 1;
        while (last.reached() != expected && Instant.now().isBefore(deadline)) {
            sleep(Duration.ofSeconds(2));
            last = attempt(from, ip, port);
            attempts++;
        }
        assertThat(last.reached())
                .as(
                        "%s: %s -> %s:%d should be %s; after %d attempts over %s it was %s",
                        what, from, ip, port, expected ? "reachable" : "cut", attempts, ENFORCEMENT, last)
                .isEqualTo(expected);
    }

    /**
     * Checks a flow that must not change while the other one is cut or opened: a few attempts, each
     * as expected (a transient failure is retried once, so that a slow pod does not pass for a cut).
     */
    private void assertReachable(String from, String ip, int port, boolean expected, String what) {
        for (int i = 0; i < 3; i++) {
            Attempt attempt = attempt(from, ip, port);
            if (attempt.reached() != expected) {
                attempt = attempt(from, ip, port);
            }
            assertThat(attempt.reached())
                    .as(
                            "%s: %s -> %s:%d should be %s; it was %s",
                            what, from, ip, port, expected ? "reachable" : "cut", attempt)
                    .isEqualTo(expected);
        }
    }

    private Attempt attempt(String from, String ip, int port) {
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        try (ExecWatch exec = admin().pods()
                .inNamespace(namespace)
                .withName(from)
                .inContainer("main")
                .writingOutput(output)
                .writingError(output)
                .exec("wget", "-T", "3", "-qO-", "http://" + ip + ":" + port + "/")) {
            Integer exitCode = exec.exitCode().get(60, TimeUnit.SECONDS);
            return new Attempt(exitCode == null ? -1 : exitCode, output.toString(StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while " + from + " reached for " + ip + ":" + port, e);
        } catch (Exception e) {
            throw new AssertionError(
                    "could not run wget in " + namespace + "/" + from + " (" + e + "); output so far: "
                            + output.toString(StandardCharsets.UTF_8),
                    e);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
