package dev.stanch.packaging;

import static dev.stanch.packaging.Packaging.COMPOSE;
import static dev.stanch.packaging.Packaging.REPO;
import static dev.stanch.packaging.Packaging.instruction;
import static dev.stanch.packaging.Packaging.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stanch.api.ApiSecurityProperties;
import dev.stanch.app.StanchProperties;
import dev.stanch.guardrail.Guardrails;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.AbstractBindHandler;
import org.springframework.boot.context.properties.bind.BindContext;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.jdbc.autoconfigure.DataSourceProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.FileSystemResource;

/**
 * docker-compose.yml and response-service/Dockerfile agree with the service's settings and with the
 * Helm chart. No Docker here: the files are read, and the environment Stanch gets in compose is bound
 * the way Spring Boot binds it.
 */
class PackagingTest {

    /** Spring Boot's own keys that compose sets besides the service's: read, not bound to a class. */
    private static final Set<String> SPRING_BOOT_OWN = Set.of("SPRING_CONFIG_ADDITIONAL_LOCATION");

    private final Map<String, Object> compose = yaml(COMPOSE);

    @Test
    void everyVariableComposeGivesStanchIsAKeyTheServiceBinds() {
        Map<String, Object> env = new LinkedHashMap<>(environment("stanch"));
        SPRING_BOOT_OWN.forEach(env::remove);
        assertThat(env).isNotEmpty();
        assertBindsCompletely(env);
    }

    @Test
    void theCheckCatchesAMisspeltOrUnknownKey() {
        Map<String, Object> env = new LinkedHashMap<>(environment("stanch"));
        SPRING_BOOT_OWN.forEach(env::remove);
        env.put("STANCH_PLAYBOOKS_DIRECTORY", "/etc/stanch/playbooks");
        assertThatThrownBy(() -> assertBindsCompletely(env)).hasMessageContaining("STANCH_PLAYBOOKS_DIRECTORY");
        env.remove("STANCH_PLAYBOOKS_DIRECTORY");
        env.put("STANCH_KAFKA_DETECTION_TOPIC", "x");
        assertThatThrownBy(() -> assertBindsCompletely(env)).hasMessageContaining("STANCH_KAFKA_DETECTION_TOPIC");
        env.remove("STANCH_KAFKA_DETECTION_TOPIC");
        env.put("SERVER_PORTS", "1");
        assertThatThrownBy(() -> assertBindsCompletely(env)).hasMessageContaining("SERVER_PORTS");
    }

    @Test
    void theMountedConfigurationHoldsValidLocalUsersWithBcryptHashesOnly() throws Exception {
        assertThat(environment("stanch")).containsEntry("SPRING_CONFIG_ADDITIONAL_LOCATION", "optional:file:/config/");
        var configDir = REPO.resolve(hostPathMountedAt("stanch", "/config"));
        var file = configDir.resolve("application.yaml");
        List<PropertySource<?>> loaded =
                new YamlPropertySourceLoader().load("compose-config", new FileSystemResource(file));
        Binder binder = new Binder(ConfigurationPropertySources.from(loaded));
        ApiSecurityProperties security = binder.bind(
                        "stanch.security",
                        Bindable.of(ApiSecurityProperties.class),
                        new NoUnboundElementsBindHandler(BindHandler.DEFAULT))
                .get();
        assertThat(security.users())
                .extracting(ApiSecurityProperties.LocalUser::name)
                .containsExactly("viewer", "responder", "admin", "detector");
        // Only hashes: nothing in the file names a password key, and no password of the docs is in it.
        String text = Files.readString(file);
        assertThat(text).doesNotContainPattern("(?m)^\\s*password\\s*:");
        assertThat(text).doesNotContain("viewer-demo", "responder-demo", "admin-demo", "detector-demo");
    }

    @Test
    void theComposeFileHasNoDollarThatComposeWouldInterpolate() {
        // Compose reads $x as a variable: a bcrypt hash here would be mangled. Only ${NAME:-default}.
        String text = Packaging.read(COMPOSE);
        Matcher dollar = Pattern.compile("\\$(?!\\{[A-Z_]+(:-[^}]*)?})").matcher(text);
        assertThat(dollar.find()).as("a bare $ in docker-compose.yml").isFalse();
    }

    @Test
    @SuppressWarnings("unchecked")
    void theTopicsCreatedAreTheServicesDefaultTopicsAndTheChartsToo() throws Exception {
        Set<String> defaults = new TreeSet<>();
        var resource = new FileSystemResource(REPO.resolve("response-service/src/main/resources/application.yml"));
        Binder binder =
                new Binder(ConfigurationPropertySources.from(new YamlPropertySourceLoader().load("app", resource)));
        for (String key : List.of("detections-topic", "actions-topic", "dead-letter-topic")) {
            defaults.add(binder.bind("stanch.kafka." + key, String.class).get());
        }
        String command =
                String.join("\n", (List<String>) service("kafka-topics").get("command"));
        Set<String> created = new TreeSet<>();
        Matcher topic =
                Pattern.compile("kafka-topics\\.sh .*--create .*--topic (\\S+)").matcher(command);
        while (topic.find()) {
            created.add(topic.group(1));
        }
        assertThat(created).isEqualTo(defaults).hasSize(3);
        var chartTopics =
                (Map<String, Object>) ((Map<String, Object>) chartValues().get("kafka")).get("topics");
        assertThat(new TreeSet<>(chartTopics.values())).isEqualTo(defaults);
        // The broker Stanch dials is the kafka service, on the port it advertises.
        assertThat(environment("stanch").get("SPRING_KAFKA_BOOTSTRAP_SERVERS")).isEqualTo("kafka:9092");
        assertThat(environment("kafka").get("KAFKA_ADVERTISED_LISTENERS")).isEqualTo("PLAINTEXT://kafka:9092");
        assertThat(command).contains("--bootstrap-server kafka:9092");
    }

    @Test
    void thePlaybooksMountIsThePlaybooksDirectoryEverywhere() {
        String dir = (String) environment("stanch").get("STANCH_PLAYBOOKS_DIR");
        assertThat(volumes("stanch")).contains("./playbooks:" + dir + ":ro");
        assertThat(Files.isDirectory(REPO.resolve("playbooks"))).isTrue();
        assertThat(instruction("ENV")).contains("STANCH_PLAYBOOKS_DIR=" + dir);
        assertThat(instruction("COPY")).contains("playbooks/ " + dir + "/");
        assertThat(Packaging.read(REPO.resolve("helm/stanch/templates/_helpers.tpl")))
                .contains("define \"stanch.playbooksDir\" -}}\n" + dir + "\n");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theImageRunsAsTheChartsUserOnTheChartsPort() {
        Map<String, Object> values = chartValues();
        for (String context : List.of("podSecurityContext", "securityContext")) {
            var security = (Map<String, Object>) values.get(context);
            assertThat(instruction("USER"))
                    .containsExactly(security.get("runAsUser") + ":" + security.get("runAsGroup"));
        }
        String deployment = Packaging.read(REPO.resolve("helm/stanch/templates/deployment.yaml"));
        Matcher port = Pattern.compile("containerPort: (\\d+)").matcher(deployment);
        assertThat(port.find()).isTrue();
        assertThat(instruction("EXPOSE")).containsExactly(port.group(1));
        assertThat(((Map<String, Object>) values.get("service")).get("port")).hasToString(port.group(1));
        // Published on the host's loopback only: the demo users' passwords are in the docs.
        assertThat((List<String>) service("stanch").get("ports"))
                .containsExactly("127.0.0.1:" + port.group(1) + ":" + port.group(1));
    }

    @Test
    void theEntrypointRunsTheLauncherInExecFormWithContainerFlags() {
        List<String> entrypoint = Packaging.entrypoint();
        assertThat(entrypoint.getFirst()).isEqualTo("java");
        assertThat(entrypoint).contains("-XX:+ExitOnOutOfMemoryError");
        // The heap's share as an environment default, so that the chart's javaToolOptions can replace
        // it: a flag on the command line would win over JAVA_TOOL_OPTIONS.
        assertThat(entrypoint).noneMatch(argument -> argument.startsWith("-XX:MaxRAMPercentage"));
        assertThat(instruction("ENV")).contains("JAVA_TOOL_OPTIONS=\"-XX:MaxRAMPercentage=50 -XX:+UseG1GC\"");
        assertThat(entrypoint.getLast()).isEqualTo("org.springframework.boot.loader.launch.JarLauncher");
        assertThat(instruction("CMD")).isEmpty();
        assertThat(instruction("HEALTHCHECK")).isEmpty();
        // The layers, least changing first, each its own COPY.
        assertThat(instruction("COPY").stream().filter(c -> c.startsWith("--from=build")))
                .containsExactly(
                        "--from=build /layers/dependencies/ ./",
                        "--from=build /layers/spring-boot-loader/ ./",
                        "--from=build /layers/snapshot-dependencies/ ./",
                        "--from=build /layers/application/ ./");
        assertThat(instruction("RUN"))
                .anyMatch(r -> r.contains("./mvnw -B -q package -DskipTests -Dstanch.kube-binaries.skip=true"))
                .anyMatch(r -> r.contains("-Djarmode=tools -jar response-service/target/stanch.jar")
                        && r.contains("extract --layers --launcher --destination /layers"));
        assertThat(instruction("FROM"))
                .containsExactly("eclipse-temurin:25-jdk AS build", "eclipse-temurin:25-jre AS runtime");
        assertThat(Packaging.read(REPO.resolve(".dockerignore"))).contains("**/target/", ".git");
    }

    @Test
    @SuppressWarnings("unchecked")
    void stanchReachesTheDatabaseAndK3sOfThisFile() {
        Map<String, Object> env = environment("stanch");
        Map<String, Object> postgres = environment("postgres");
        assertThat(env.get("SPRING_DATASOURCE_URL"))
                .isEqualTo("jdbc:postgresql://postgres:5432/" + postgres.get("POSTGRES_DB"));
        assertThat(env.get("SPRING_DATASOURCE_USERNAME")).isEqualTo(postgres.get("POSTGRES_USER"));
        assertThat(env.get("SPRING_DATASOURCE_PASSWORD")).isEqualTo(postgres.get("POSTGRES_PASSWORD"));
        // The kubeconfig: k3s writes it into the shared volume, the one-shot rewrites the server to
        // the service name that k3s's certificate carries (--tls-san), Stanch reads the rewritten copy.
        String kubeconfig = (String) env.get("STANCH_KUBERNETES_KUBECONFIG");
        String stanchMount = kubeconfig.substring(0, kubeconfig.lastIndexOf('/'));
        assertThat(volumes("stanch")).contains("kubeconfig:" + stanchMount + ":ro");
        assertThat(volumes("k3s")).contains("kubeconfig:/output");
        assertThat(volumes("kubeconfig")).contains("kubeconfig:/output");
        assertThat(environment("k3s").get("K3S_KUBECONFIG_OUTPUT")).isEqualTo("/output/kubeconfig.yaml");
        assertThat((List<String>) service("k3s").get("command")).contains("--tls-san=k3s");
        assertThat(String.join(" ", (List<String>) service("kubeconfig").get("command")))
                .contains(
                        "s#https://127.0.0.1:6443#https://k3s:6443#",
                        "/output/kubeconfig.yaml > /output" + kubeconfig.substring(kubeconfig.lastIndexOf('/')));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyServiceWaitedForHasTheConditionItCanMeet() {
        Map<String, Object> services = (Map<String, Object>) compose.get("services");
        Map<String, String> waits = new HashMap<>();
        services.forEach((name, definition) -> {
            var dependsOn = (Map<String, Map<String, String>>) ((Map<String, Object>) definition).get("depends_on");
            if (dependsOn != null) {
                dependsOn.forEach((dependency, condition) -> {
                    assertThat(services).containsKey(dependency);
                    String when = condition.get("condition");
                    waits.put(name + "->" + dependency, when);
                    if (when.equals("service_healthy")) {
                        assertThat(service(dependency))
                                .as(dependency + " has a healthcheck")
                                .containsKey("healthcheck");
                    } else {
                        assertThat(when).isEqualTo("service_completed_successfully");
                        assertThat(service(dependency)).containsEntry("restart", "no");
                    }
                });
            }
        });
        assertThat(waits)
                .containsEntry("stanch->postgres", "service_healthy")
                .containsEntry("stanch->kafka-topics", "service_completed_successfully")
                .containsEntry("stanch->kubeconfig", "service_completed_successfully")
                .containsEntry("kafka-topics->kafka", "service_healthy")
                .containsEntry("kubeconfig->k3s", "service_healthy");
        // Stanch runs as in the chart: read-only root, /tmp writable, no capabilities.
        assertThat(service("stanch")).containsEntry("read_only", true).containsEntry("tmpfs", List.of("/tmp"));
        assertThat(service("stanch")).containsEntry("cap_drop", List.of("ALL"));
        assertThat(service("stanch").get("build"))
                .isEqualTo(Map.of("context", ".", "dockerfile", "response-service/Dockerfile"));
    }

    /**
     * Binds the variables as Spring Boot binds the environment, each prefix to the class the service
     * binds it to, and fails on a variable that no class takes.
     */
    private static void assertBindsCompletely(Map<String, Object> env) {
        List<String> unknown = new ArrayList<>();
        for (String name : env.keySet()) {
            if (!name.startsWith("STANCH_")
                    && !name.startsWith("SPRING_DATASOURCE_")
                    && !name.startsWith("SPRING_KAFKA_")) {
                unknown.add(name);
            }
        }
        assertThat(unknown)
                .as("variables outside stanch.*, spring.datasource.*, spring.kafka.*")
                .isEmpty();
        var source = ConfigurationPropertySource.from(new SystemEnvironmentPropertySource(
                // Named as the environment is, so that Spring maps STANCH_A_B to stanch.a.b.
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env));
        Binder binder = new Binder(source);
        // Which variables a bind really read: the origin of every value bound names its variable.
        Set<String> consumed = new TreeSet<>();
        BindHandler recording = new AbstractBindHandler() {
            @Override
            public Object onSuccess(
                    ConfigurationPropertyName name, Bindable<?> target, BindContext context, Object result) {
                ConfigurationProperty property = context.getConfigurationProperty();
                if (property != null && property.getOrigin() instanceof PropertySourceOrigin origin) {
                    consumed.add(origin.getPropertyName());
                }
                return result;
            }
        };
        // Each prefix to the class the service binds it to.
        Map<String, Class<?>> classes = new LinkedHashMap<>();
        classes.put("stanch", StanchProperties.class);
        classes.put("stanch.kafka", type("dev.stanch.kafka.KafkaSettings"));
        classes.put("stanch.security", ApiSecurityProperties.class);
        classes.put("stanch.api", type("dev.stanch.api.ApiProperties"));
        classes.put("stanch.guardrails", Guardrails.class);
        classes.put("spring.datasource", DataSourceProperties.class);
        classes.put("spring.kafka", KafkaProperties.class);
        classes.forEach((prefix, type) -> binder.bind(prefix, Bindable.of(type), recording));
        Set<String> unread = new TreeSet<>(env.keySet());
        unread.removeAll(consumed);
        assertThat(unread)
                .as("variables that no settings class of the service reads")
                .isEmpty();
        // Bound, not merely read: the values arrive.
        StanchProperties stanch = binder.bind("stanch", StanchProperties.class).get();
        assertThat(stanch.playbooks().dir()).hasToString((String) env.get("STANCH_PLAYBOOKS_DIR"));
        assertThat(stanch.kubernetes().kubeconfig()).hasToString((String) env.get("STANCH_KUBERNETES_KUBECONFIG"));
        assertThat(binder.bind("spring.datasource", DataSourceProperties.class)
                        .get()
                        .getUrl())
                .isEqualTo(env.get("SPRING_DATASOURCE_URL"));
        assertThat(binder.bind("spring.kafka", KafkaProperties.class).get().getBootstrapServers())
                .containsExactly((String) env.get("SPRING_KAFKA_BOOTSTRAP_SERVERS"));
    }

    private static Class<?> type(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> service(String name) {
        var services = (Map<String, Object>) compose.get("services");
        assertThat(services).containsKey(name);
        return (Map<String, Object>) services.get(name);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> environment(String name) {
        return (Map<String, Object>) service(name).get("environment");
    }

    @SuppressWarnings("unchecked")
    private List<String> volumes(String name) {
        return (List<String>) service(name).get("volumes");
    }

    private String hostPathMountedAt(String name, String target) {
        return volumes(name).stream()
                .map(v -> v.split(":"))
                .filter(v -> v[1].equals(target))
                .map(v -> v[0])
                .findFirst()
                .orElseThrow(() -> new AssertionError("nothing is mounted at " + target));
    }

    private static Map<String, Object> chartValues() {
        return yaml(REPO.resolve("helm/stanch/values.yaml"));
    }
}
