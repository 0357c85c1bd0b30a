package dev.stanch.sandbox;

import dev.stanch.StanchApplication;
import io.fabric8.kubernetes.api.model.Pod;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.util.FileSystemUtils;

/**
 * The sandbox: Stanch on embedded defaults, in one command on a fresh machine —
 * {@code ./mvnw -pl response-service spring-boot:test-run}. It starts a real PostgreSQL (embedded)
 * and a Kubernetes API seeded with a demo ({@link SandboxCluster}), points the service at them with
 * the same settings an installation would use ({@code spring.datasource.*}, a kubeconfig, {@code
 * stanch.playbooks.dir}), loads the repository's {@code playbooks/}, and prints how to try it.
 *
 * <p>Annotated {@code @SpringBootApplication} so that {@code spring-boot:test-run} finds it (the
 * plugin looks for that annotation on a main class); as a source it adds nothing but this package,
 * which holds no beans.
 */
@SpringBootApplication
public class Sandbox {

    public static void main(String[] args) throws Exception {
        Path workDir = Path.of("target", "sandbox").toAbsolutePath();
        FileSystemUtils.deleteRecursively(workDir);
        Files.createDirectories(workDir);
        Path repo = repositoryRoot();

        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setDataDirectory(workDir.resolve("postgres"))
                .setCleanDataDirectory(true)
                .start();
        SandboxCluster cluster;
        try {
            cluster = SandboxCluster.start(workDir);
        } catch (RuntimeException e) {
            postgres.close();
            throw e;
        }
        SandboxKafka kafka;
        try {
            kafka = SandboxKafka.start();
        } catch (RuntimeException e) {
            closeQuietly(cluster);
            postgres.close();
            throw e;
        }
        // After the application context has closed: its consumers and relay must not outlive the broker.
        SpringApplication.getShutdownHandlers().add(() -> closeQuietly(kafka));
        List<Path> samples = SandboxSamples.write(workDir, cluster.webPods());

        System.setProperty("spring.datasource.url", postgres.getJdbcUrl("postgres", "postgres"));
        System.setProperty("spring.datasource.username", "postgres");
        System.setProperty("spring.datasource.password", "");
        System.setProperty("stanch.kubernetes.kubeconfig", cluster.kubeconfig().toString());
        System.setProperty("stanch.playbooks.dir", repo.resolve("playbooks").toString());
        System.setProperty("spring.kafka.bootstrap-servers", kafka.bootstrapServers());
        // As the chart's ServiceMonitor does: Stanch's metrics, to look at while trying it.
        System.setProperty("management.endpoints.web.exposure.include", "health,info,prometheus");
        Map<String, String> passwords = localUsers();

        SpringApplication application = new SpringApplication(StanchApplication.class, Sandbox.class);
        application.addListeners(event -> {
            if (event instanceof ApplicationReadyEvent ready) {
                System.out.println(banner(ready.getApplicationContext(), cluster, samples, passwords));
                System.out.println(String.join(System.lineSeparator(), kafka.banner(samples.getFirst())));
            } else if (event instanceof ContextClosedEvent) {
                closeQuietly(cluster);
                closeQuietly(postgres);
            }
        });
        application.run(args);
    }

    /**
     * The repository checkout, from the working directory up: the sandbox runs from {@code
     * response-service/}, the pipeline benchmark from wherever Maven was started in the checkout.
     */
    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isDirectory(dir.resolve("playbooks")) && Files.isRegularFile(dir.resolve("mvnw"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("run it from the repository: no playbooks/ beside mvnw above "
                + Path.of("").toAbsolutePath());
    }

    /**
     * One local user per role, each with a password made for this run (printed, never stored but
     * as its bcrypt hash): the sandbox's way in, as {@code stanch.security.users} is an installation's.
     */
    private static Map<String, String> localUsers() {
        SecureRandom random = new SecureRandom();
        BCryptPasswordEncoder encoder = new BCryptPasswordEncoder();
        Map<String, String> passwords = new LinkedHashMap<>();
        int index = 0;
        for (String role : List.of("viewer", "responder", "admin", "detector")) {
            byte[] secret = new byte[12];
            random.nextBytes(secret);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            passwords.put(role, password);
            // System properties are one property source, as Spring Boot needs every entry of a list in one.
            String prefix = "stanch.security.users[" + index++ + "].";
            System.setProperty(prefix + "name", role);
            System.setProperty(prefix + "roles", role);
            System.setProperty(prefix + "password-hash", encoder.encode(password));
        }
        return passwords;
    }

    private static String banner(
            ConfigurableApplicationContext context,
            SandboxCluster cluster,
            List<Path> samples,
            Map<String, String> passwords) {
        String port = context.getEnvironment().getProperty("local.server.port", "8080");
        String base = "http://localhost:" + port;
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("Stanch sandbox is ready at " + base);
        lines.add("  database:   PostgreSQL (embedded), "
                + context.getEnvironment().getProperty("spring.datasource.url"));
        lines.add("  kubernetes: " + cluster.description());
        lines.add("  demo:       namespace " + SandboxCluster.DEMO + ": pods "
                + String.join(
                        ", ", cluster.webPods().stream().map(Sandbox::name).toList())
                + " (Deployment web, Service web), db-0; kube-system is protected");
        lines.add("  playbooks:  " + context.getEnvironment().getProperty("stanch.playbooks.dir"));
        lines.add("");
        lines.add("Users (HTTP Basic; passwords for this run only):");
        passwords.forEach((user, password) -> lines.add("  " + user + " / " + password));
        lines.add("");
        String json = " -H 'Content-Type: application/json'";
        lines.add("Send a detection (a Falco shell in " + name(cluster.webPods().getFirst())
                + "): an action waits for approval");
        lines.add("  curl -s -u detector:" + passwords.get("detector") + " " + base + "/api/v1/detections" + json
                + " --data @" + samples.getFirst());
        lines.add("Approve it (ID from the answer), see it applied, roll it back:");
        String responder = "  curl -s -u responder:" + passwords.get("responder") + " ";
        lines.add(responder + "-X POST " + base + "/api/v1/actions/ID/approve" + json
                + " -d '{\"reason\":\"checked the pod\"}'");
        lines.add(responder + base + "/api/v1/actions/ID");
        lines.add(responder + "-X POST " + base + "/api/v1/actions/ID/rollback" + json + " -d '{\"reason\":\"done\"}'");
        lines.add("API reference: " + base + "/swagger-ui.html; metrics: " + base + "/actuator/prometheus");
        lines.add("Other samples: "
                + String.join(
                        " ",
                        samples.subList(1, samples.size()).stream()
                                .map(Path::toString)
                                .toList()));
        lines.add("");
        return String.join(System.lineSeparator(), lines);
    }

    private static String name(Pod pod) {
        return pod.getMetadata().getName();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            System.err.println("sandbox: could not stop " + closeable + ": " + e);
        }
    }

    static void writeString(Path file, String content) {
        try {
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
