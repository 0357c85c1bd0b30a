package dev.stanch.chart;

import static dev.stanch.chart.StanchChart.KUBE_1_20;
import static dev.stanch.chart.StanchChart.objects;
import static dev.stanch.chart.StanchChart.template;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import dev.stanch.app.StanchProperties;
import dev.stanch.guardrail.Guardrails;
import dev.stanch.playbook.Playbook;
import dev.stanch.playbook.PlaybookCatalog;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ByteArrayResource;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart as Helm itself lints and renders it (helm-java, the real Helm library), the rendered
 * objects read back with fabric8: what an installation gets with the default values and with others,
 * that the settings reach the service under the names it binds, and that bad values are refused
 * with the field named. HelmChartApiServerIT proves the same objects valid on a real API server.
 */
class HelmChartTest {

    private static final Path REPO = Path.of(System.getProperty("stanch.repo", ".."));
    private static final String RELEASE = "stanch";
    private static final String NAMESPACE = "stanch-system";

    /** The labels every object of the chart carries. */
    private static final Set<String> STANDARD_LABELS = Set.of(
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/version",
            "app.kubernetes.io/component",
            "app.kubernetes.io/part-of",
            "app.kubernetes.io/managed-by",
            "helm.sh/chart");

    /** Values that change every name and turn on what is off by default. */
    private static final String OTHER_VALUES = """
            fullnameOverride: responder
            replicaCount: 3
            image:
              repository: registry.example/security/stanch
              tag: 1.2.3
            serviceAccount:
              name: stanch-actor
            database:
              url: jdbc:postgresql://ledger.db:5432/stanch?sslmode=verify-full
              existingSecret: ledger-credentials
              secretKeys:
                username: user
                password: pass
              migrate: false
            guardrails:
              dryRun: true
              protectedNamespaces: [kube-system, payments]
              actionsPerMinute: 5
              actionsPerMinutePerNamespace: 2
              maxActiveActions: 7
              maxQuarantineShare: 0.25
            auth:
              oidc:
                issuerUri: https://login.example/realms/ops
                rolesClaim: realm_access.roles
                principalClaim: email
            kafka:
              bootstrapServers: kafka-0.kafka:9093,kafka-1.kafka:9093
              existingSecret: kafka-client
              secretKeys:
                sslTruststoreType: ""
              topics:
                detections: falco.events
            runner:
              interval: 5s
              lease: 10m
              batch: 50
              workers: 8
            metrics:
              serviceMonitor:
                enabled: true
                labels:
                  release: prometheus
            networkPolicy:
              ingress:
                from:
                  - namespaceSelector:
                      matchLabels:
                        team: sre
              egress:
                apiServer:
                  cidrs: [10.0.0.1/32]
                postgresql:
                  ports: [6432]
                kafka:
                  ports: [9093]
            """;

    // ----------------------------------------------------------------------------------- helm lint

    @Test
    void lintsStrictWithoutWarnings() {
        LintResult lint = StanchChart.lint();

        assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages())
                .noneMatch(message -> message.contains("[WARNING]") || message.contains("[ERROR]"));
    }

    // ------------------------------------------------------------------------------ what renders

    @Test
    void theDefaultsRenderTheServiceItsAccessAndItsProtection() {
        List<HasMetadata> objects = objects(defaults());

        assertThat(objects)
                .extracting(HasMetadata::getKind, HasMetadata::getApiVersion)
                .containsExactlyInAnyOrder(
                        kind("ClusterRole", "rbac.authorization.k8s.io/v1"),
                        kind("ClusterRoleBinding", "rbac.authorization.k8s.io/v1"),
                        kind("ServiceAccount", "v1"),
                        kind("ConfigMap", "v1"),
                        kind("ConfigMap", "v1"),
                        kind("Deployment", "apps/v1"),
                        kind("Service", "v1"),
                        kind("PodDisruptionBudget", "policy/v1beta1"),
                        kind("NetworkPolicy", "networking.k8s.io/v1"));
        assertThat(objects).extracting(o -> o.getMetadata().getName()).allMatch(name -> name.startsWith("stanch"));
    }

    @Test
    void everyObjectCarriesTheStandardLabelsAndNamespacedOnesTheReleaseNamespace() {
        for (String rendered : List.of(defaults(), others())) {
            for (HasMetadata object : objects(rendered)) {
                assertThat(object.getMetadata().getLabels())
                        .as(
                                "labels of %s %s",
                                object.getKind(), object.getMetadata().getName())
                        .containsKeys(STANDARD_LABELS.toArray(String[]::new))
                        .containsEntry("app.kubernetes.io/name", "stanch")
                        .containsEntry("app.kubernetes.io/instance", RELEASE)
                        .containsEntry("app.kubernetes.io/managed-by", "Helm");
                boolean clusterScoped = object instanceof ClusterRole || object instanceof ClusterRoleBinding;
                assertThat(object.getMetadata().getNamespace())
                        .as("namespace of %s", object.getKind())
                        .isEqualTo(clusterScoped ? null : NAMESPACE);
                if (!clusterScoped) {
                    assertThat(object).isInstanceOfAny(Namespaced.class, GenericKubernetesResource.class);
                }
            }
        }
    }

    @Test
    void theDeploymentRunsTwoHardenedReplicasSpreadOverNodes() {
        Deployment deployment = single(defaults(), Deployment.class);
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        Container container = stanchContainer(deployment);

        assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
        assertThat(deployment
                        .getSpec()
                        .getStrategy()
                        .getRollingUpdate()
                        .getMaxUnavailable()
                        .getIntVal())
                .isZero();
        assertThat(container.getImage()).isEqualTo("stanch:0.1.0");
        assertThat(container.getCommand()).as("the image's own entrypoint").isEmpty();
        assertThat(container.getArgs()).isEmpty();
        assertThat(container.getPorts()).singleElement().satisfies(port -> {
            assertThat(port.getName()).isEqualTo("http");
            assertThat(port.getContainerPort()).isEqualTo(8080);
        });
        assertProbe(container.getReadinessProbe(), "/actuator/health/readiness");
        assertProbe(container.getLivenessProbe(), "/actuator/health/liveness");
        assertProbe(container.getStartupProbe(), "/actuator/health/liveness");
        assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(container.getResources().getLimits()).containsKeys("cpu", "memory");

        assertThat(pod.getServiceAccountName()).isEqualTo("stanch");
        assertThat(pod.getAutomountServiceAccountToken()).isTrue();
        assertThat(pod.getEnableServiceLinks()).isFalse();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var security = container.getSecurityContext();
        assertThat(security.getRunAsNonRoot()).isTrue();
        assertThat(security.getRunAsUser()).isEqualTo(10001L);
        assertThat(security.getReadOnlyRootFilesystem()).isTrue();
        assertThat(security.getAllowPrivilegeEscalation()).isFalse();
        assertThat(security.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security.getCapabilities().getAdd()).isEmpty();
        assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        // The root filesystem is read-only: /tmp is the one writable place.
        assertThat(mountPath(container, "tmp")).isEqualTo("/tmp");
        assertThat(volume(pod, "tmp").getEmptyDir()).isNotNull();

        Map<String, String> podLabels =
                deployment.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(podLabels)
                .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(pod.getTopologySpreadConstraints())
                .extracting(TopologySpreadConstraint::getTopologyKey)
                .containsExactly("kubernetes.io/hostname", "topology.kubernetes.io/zone");
        for (TopologySpreadConstraint spread : pod.getTopologySpreadConstraints()) {
            assertThat(spread.getLabelSelector().getMatchLabels())
                    .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        }
    }

    @Test
    void theEnvironmentNamesTheDatabaseSecretAndHoldsNoSecret() {
        Container container = stanchContainer(single(defaults(), Deployment.class));
        Map<String, EnvVar> env = env(container);

        assertThat(env.get("SPRING_DATASOURCE_URL").getValue()).isEqualTo("jdbc:postgresql://postgresql:5432/stanch");
        assertThat(secretRef(env, "SPRING_DATASOURCE_USERNAME"))
                .extracting(SecretKeySelector::getName, SecretKeySelector::getKey, SecretKeySelector::getOptional)
                .containsExactly("stanch-database", "username", null);
        assertThat(secretRef(env, "SPRING_DATASOURCE_PASSWORD"))
                .extracting(SecretKeySelector::getName, SecretKeySelector::getKey, SecretKeySelector::getOptional)
                .containsExactly("stanch-database", "password", null);
        assertThat(env.get("STANCH_GUARDRAILS_OWN_NAMESPACE")
                        .getValueFrom()
                        .getFieldRef()
                        .getFieldPath())
                .isEqualTo("metadata.namespace");
        assertThat(env.get("SPRING_CONFIG_ADDITIONAL_LOCATION").getValue()).isEqualTo("optional:file:/config/");
        assertThat(mountPath(container, "config")).isEqualTo("/config");
        assertThat(env.get("STANCH_PLAYBOOKS_DIR").getValue())
                .isEqualTo(mountPath(container, "playbooks"))
                .isEqualTo("/etc/stanch/playbooks");
        assertThat(env).doesNotContainKeys("SPRING_KAFKA_SECURITY_PROTOCOL", "SPRING_KAFKA_BOOTSTRAP_SERVERS");
        // Whatever holds a credential comes from a Secret, never from a literal value.
        assertThat(env.values())
                .filteredOn(variable -> variable.getName().matches(".*(PASSWORD|USERNAME|JAAS|CERTIFICATES).*"))
                .allSatisfy(variable -> assertThat(variable.getValue()).isNull());
    }

    @Test
    void kafkasTlsAndSaslSettingsComeFromItsSecretKeyByKey() {
        Map<String, EnvVar> env = env(stanchContainer(single(others(), Deployment.class)));

        Map<String, String> fromSecret = new TreeMap<>();
        env.values().stream()
                .filter(variable -> variable.getName().startsWith("SPRING_KAFKA_"))
                .forEach(variable -> {
                    SecretKeySelector ref = variable.getValueFrom().getSecretKeyRef();
                    assertThat(ref.getName()).isEqualTo("kafka-client");
                    assertThat(ref.getOptional())
                            .as("a key the Secret lacks stays unset")
                            .isTrue();
                    fromSecret.put(variable.getName(), ref.getKey());
                });
        // sslTruststoreType was set to "": left out.
        assertThat(fromSecret)
                .containsExactlyEntriesOf(new TreeMap<>(Map.of(
                        "SPRING_KAFKA_SECURITY_PROTOCOL", "security.protocol",
                        "SPRING_KAFKA_PROPERTIES_SASL_MECHANISM", "sasl.mechanism",
                        "SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG", "sasl.jaas.config",
                        "SPRING_KAFKA_PROPERTIES_SSL_TRUSTSTORE_CERTIFICATES", "ssl.truststore.certificates")));
    }

    /**
     * What the service itself reads: the rendered application.yaml and the container's environment
     * (Secrets and the downward API resolved as the kubelet would) bound by Spring Boot's own binder
     * into the service's own records, as StanchConfiguration binds them.
     */
    @Test
    void theDefaultSettingsBindToTheServicesOwnDefaults() {
        Binder binder = binder(defaults(), Map.of("username", "stanch", "password", "secret"), Map.of());

        Guardrails guardrails =
                binder.bind("stanch.guardrails", Guardrails.class).get();
        assertThat(guardrails).isEqualTo(new Guardrails(null, NAMESPACE, null, null, null, null, null, false));
        assertThat(guardrails.protectedNamespaces())
                .containsExactlyInAnyOrder("kube-system", "kube-public", "kube-node-lease");
        assertThat(guardrails.ownPodLabels()).containsExactly(Map.entry("app.kubernetes.io/name", "stanch"));

        StanchProperties stanch = binder.bind("stanch", StanchProperties.class).get();
        assertThat(stanch.playbooks().dir()).isEqualTo(Path.of("/etc/stanch/playbooks"));
        assertThat(stanch.playbooks().reloadInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(stanch.runner()).isEqualTo(new StanchProperties.Runner(null, null, null, null, null));
        assertThat(stanch.ledger().migrate()).isTrue();

        assertThat(string(binder, "spring.datasource.url")).isEqualTo("jdbc:postgresql://postgresql:5432/stanch");
        assertThat(string(binder, "spring.datasource.username")).isEqualTo("stanch");
        assertThat(string(binder, "spring.datasource.password")).isEqualTo("secret");
        assertThat(string(binder, "server.port")).isEqualTo("8080");
        assertThat(string(binder, "stanch.kafka.detections-topic")).isEqualTo("stanch.detections");
        assertThat(string(binder, "stanch.kafka.actions-topic")).isEqualTo("stanch.actions");
        assertThat(string(binder, "stanch.kafka.dead-letter-topic")).isEqualTo("stanch.detections.dlt");
        assertThat(string(binder, "stanch.security.jwt.roles-claim")).isEqualTo("roles");
        assertThat(string(binder, "stanch.security.jwt.principal-claim")).isEqualTo("preferred_username");
        assertThat(binder.bind("spring.security.oauth2.resourceserver.jwt.issuer-uri", String.class)
                        .isBound())
                .isFalse();
        assertThat(binder.bind("spring.kafka.bootstrap-servers", String.class).isBound())
                .isFalse();
    }

    @Test
    void otherSettingsBindToTheServicesOwnRecords() {
        Binder binder = binder(
                others(),
                Map.of("user", "stanch", "pass", "secret"),
                Map.of(
                        "security.protocol", "SASL_SSL",
                        "sasl.mechanism", "SCRAM-SHA-512",
                        "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;"));

        Guardrails guardrails =
                binder.bind("stanch.guardrails", Guardrails.class).get();
        assertThat(guardrails)
                .isEqualTo(new Guardrails(Set.of("kube-system", "payments"), NAMESPACE, null, 0.25, 5, 2, 7, true));
        StanchProperties stanch = binder.bind("stanch", StanchProperties.class).get();
        assertThat(stanch.runner())
                .isEqualTo(new StanchProperties.Runner(true, Duration.ofSeconds(5), Duration.ofMinutes(10), 50, 8));
        assertThat(stanch.ledger().migrate()).isFalse();

        assertThat(string(binder, "spring.datasource.url"))
                .isEqualTo("jdbc:postgresql://ledger.db:5432/stanch?sslmode=verify-full");
        assertThat(string(binder, "spring.datasource.username")).isEqualTo("stanch");
        assertThat(string(binder, "spring.security.oauth2.resourceserver.jwt.issuer-uri"))
                .isEqualTo("https://login.example/realms/ops");
        assertThat(string(binder, "stanch.security.jwt.roles-claim")).isEqualTo("realm_access.roles");
        assertThat(string(binder, "stanch.security.jwt.principal-claim")).isEqualTo("email");
        assertThat(string(binder, "spring.kafka.bootstrap-servers")).isEqualTo("kafka-0.kafka:9093,kafka-1.kafka:9093");
        assertThat(string(binder, "spring.kafka.security.protocol")).isEqualTo("SASL_SSL");
        assertThat(binder.bind("spring.kafka.properties", Bindable.mapOf(String.class, String.class))
                        .get())
                .containsOnly(
                        Map.entry("sasl.mechanism", "SCRAM-SHA-512"),
                        Map.entry(
                                "sasl.jaas.config",
                                "org.apache.kafka.common.security.scram.ScramLoginModule required;"));
        assertThat(string(binder, "stanch.kafka.detections-topic")).isEqualTo("falco.events");
        assertThat(string(binder, "management.endpoints.web.exposure.include")).contains("prometheus");
    }

    @Test
    void anEmptyListOfProtectedNamespacesProtectsOnlyStanchsOwn() {
        Binder binder = binder(
                render("guardrails: {protectedNamespaces: []}"), Map.of("username", "u", "password", "p"), Map.of());

        Guardrails guardrails =
                binder.bind("stanch.guardrails", Guardrails.class).get();
        assertThat(guardrails.protectedNamespaces()).isEmpty();
        assertThat(guardrails.safety().isProtected(NAMESPACE)).isTrue();
    }

    @Test
    void extraConfigIsMergedOverTheChartsOwn() {
        Binder binder = binder(render("""
                        extraConfig:
                          stanch:
                            runner:
                              batch: 7
                          logging:
                            level:
                              dev.stanch: DEBUG
                        """), Map.of("username", "u", "password", "p"), Map.of());

        assertThat(binder.bind("stanch", StanchProperties.class).get().runner().batch())
                .isEqualTo(7);
        assertThat(string(binder, "logging.level.dev.stanch")).isEqualTo("DEBUG");
        assertThat(binder.bind("stanch", StanchProperties.class).get().runner().lease())
                .isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void theMountedPlaybooksAreTheRepositorysAndLoadOnce(@TempDir Path volume) throws IOException {
        String rendered = defaults();
        ConfigMap playbooks = configMap(rendered, "stanch-playbooks");
        Deployment deployment = single(rendered, Deployment.class);

        assertThat(volume(deployment.getSpec().getTemplate().getSpec(), "playbooks")
                        .getConfigMap()
                        .getName())
                .isEqualTo("stanch-playbooks");
        assertThat(playbooks.getData()).isEqualTo(playbookFiles(REPO.resolve("playbooks")));

        // As the kubelet mounts it: the files in a hidden directory, behind links.
        Path data = Files.createDirectory(volume.resolve("..2026_11_22_10_00_00.1"));
        Files.createSymbolicLink(volume.resolve("..data"), data.getFileName());
        for (Map.Entry<String, String> file : playbooks.getData().entrySet()) {
            Files.writeString(data.resolve(file.getKey()), file.getValue());
            Files.createSymbolicLink(volume.resolve(file.getKey()), Path.of("..data", file.getKey()));
        }
        PlaybookCatalog catalog = PlaybookCatalog.load(volume, Clock.systemUTC());
        assertThat(catalog.current().playbooks()).hasSize(playbooks.getData().size());
        assertThat(catalog.current().playbooks()).extracting(Playbook::file).allMatch(file -> !file.contains(".."));
    }

    @Test
    void playbooksFromValuesReplaceTheShippedOnes() {
        String text = """
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata:
                  name: only
                spec:
                  match:
                    sources: [falco]
                    rules: ["Terminal shell in container"]
                  stages:
                    - name: ask
                      after: 1
                      action: quarantine-pod
                      approval: required
                """;
        ConfigMap playbooks = configMap(render("playbooks:\n  only.yaml: |\n" + text.indent(4)), "stanch-playbooks");

        assertThat(playbooks.getData()).containsExactly(Map.entry("only.yaml", text));
    }

    /**
     * The chart can read only files inside itself, so it ships copies of the repository's playbooks;
     * they must not drift. Run with {@code -Dstanch.write-chart=true} to copy them again.
     */
    @Test
    void theChartsPlaybooksAreCopiesOfTheRepositorys() throws IOException {
        Path shipped = REPO.resolve("playbooks");
        Path chart = StanchChart.DIRECTORY.resolve("playbooks");
        Map<String, String> expected = playbookFiles(shipped);
        if (!playbookFiles(chart).equals(expected) && Boolean.getBoolean("stanch.write-chart")) {
            for (String name : playbookFiles(chart).keySet()) {
                Files.delete(chart.resolve(name));
            }
            for (Map.Entry<String, String> file : expected.entrySet()) {
                Files.writeString(chart.resolve(file.getKey()), file.getValue());
            }
        }
        assertThat(playbookFiles(chart))
                .as("%s equals %s (copy them with -Dstanch.write-chart=true)", chart, shipped)
                .isEqualTo(expected)
                .isNotEmpty();
    }

    @Test
    void aChangeOfThePlaybooksRollsThePodsAndAnotherValueDoesNot() {
        Map<String, String> base = annotations(defaults());
        Map<String, String> otherPlaybooks = annotations(render("playbooks: {x.yaml: 'kind: Playbook'}"));
        Map<String, String> moreReplicas = annotations(render("replicaCount: 3"));
        Map<String, String> dryRun = annotations(render("guardrails: {dryRun: true}"));

        assertThat(base.get("checksum/playbooks")).matches("[0-9a-f]{64}");
        assertThat(otherPlaybooks.get("checksum/playbooks")).isNotEqualTo(base.get("checksum/playbooks"));
        assertThat(otherPlaybooks.get("checksum/config")).isEqualTo(base.get("checksum/config"));
        assertThat(moreReplicas).isEqualTo(base);
        assertThat(dryRun.get("checksum/config")).isNotEqualTo(base.get("checksum/config"));
        assertThat(dryRun.get("checksum/playbooks")).isEqualTo(base.get("checksum/playbooks"));
    }

    @Test
    void theBindingGrantsTheClusterRoleToTheServiceAccountInTheReleaseNamespace() {
        for (String rendered : List.of(defaults(), others())) {
            ServiceAccount account = single(rendered, ServiceAccount.class);
            ClusterRole role = single(rendered, ClusterRole.class);
            ClusterRoleBinding binding = single(rendered, ClusterRoleBinding.class);
            Deployment deployment = single(rendered, Deployment.class);

            assertThat(binding.getRoleRef().getKind()).isEqualTo("ClusterRole");
            assertThat(binding.getRoleRef().getName())
                    .isEqualTo(role.getMetadata().getName());
            assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
                assertThat(subject.getKind()).isEqualTo("ServiceAccount");
                assertThat(subject.getName()).isEqualTo(account.getMetadata().getName());
                assertThat(subject.getNamespace()).isEqualTo(NAMESPACE);
            });
            assertThat(deployment.getSpec().getTemplate().getSpec().getServiceAccountName())
                    .isEqualTo(account.getMetadata().getName());
            assertThat(role.getRules()).isNotEmpty();
        }
        assertThat(single(others(), ServiceAccount.class).getMetadata().getName())
                .isEqualTo("stanch-actor");
    }

    @Test
    void anExistingAccountIsBoundButNotCreated() {
        String rendered = render("serviceAccount: {create: false, name: ops-stanch}");

        assertThat(objects(rendered, ServiceAccount.class)).isEmpty();
        assertThat(single(rendered, ClusterRoleBinding.class)
                        .getSubjects()
                        .getFirst()
                        .getName())
                .isEqualTo("ops-stanch");
    }

    @Test
    void theDisruptionBudgetKeepsOnePodAndFollowsThePolicyApiOfTheCluster() {
        var old = single(defaults(), io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget.class);
        var current = single(
                template(RELEASE, NAMESPACE, "1.29.0", ""),
                io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class);
        Deployment deployment = single(defaults(), Deployment.class);

        assertThat(old.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(old.getSpec().getSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(current.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(current.getSpec().getSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(objects(template(RELEASE, NAMESPACE, "1.21.0", "")))
                .filteredOn(o -> o.getKind().equals("PodDisruptionBudget"))
                .extracting(HasMetadata::getApiVersion)
                .containsExactly("policy/v1");
    }

    @Test
    void theServiceExposesTheApiPortByName() {
        Service service = single(defaults(), Service.class);
        Deployment deployment = single(defaults(), Deployment.class);

        assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(service.getSpec().getSelector())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(service.getSpec().getPorts()).singleElement().satisfies(port -> {
            assertThat(port.getName()).isEqualTo("http");
            assertThat(port.getPort()).isEqualTo(8080);
            assertThat(port.getTargetPort().getStrVal()).isEqualTo("http");
        });
    }

    @Test
    void theNetworkPolicyLetsInOnlyTheApiPortAndOutOnlyWhatStanchTalksTo() {
        NetworkPolicy policy = single(defaults(), NetworkPolicy.class);
        Deployment deployment = single(defaults(), Deployment.class);

        assertThat(policy.getSpec().getPodSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(policy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(policy.getSpec().getIngress()).singleElement().satisfies(rule -> {
            assertThat(ports(rule.getPorts())).containsExactly("TCP/8080");
            // Any pod of any namespace: in the cluster, not from anywhere.
            assertThat(rule.getFrom()).singleElement().satisfies(peer -> {
                assertThat(peer.getNamespaceSelector().getMatchLabels()).isNullOrEmpty();
                assertThat(peer.getIpBlock()).isNull();
            });
        });
        assertThat(policy.getSpec().getEgress())
                .extracting(rule -> ports(rule.getPorts()))
                .containsExactly(List.of("UDP/53", "TCP/53"), List.of("TCP/443", "TCP/6443"), List.of("TCP/5432"));
        assertThat(policy.getSpec().getEgress())
                .allSatisfy(rule -> assertThat(rule.getTo()).isEmpty());
    }

    @Test
    void theNetworkPolicyFollowsTheConfiguredPeersAndPorts() {
        NetworkPolicy policy = single(others(), NetworkPolicy.class);

        assertThat(policy.getSpec()
                        .getIngress()
                        .getFirst()
                        .getFrom()
                        .getFirst()
                        .getNamespaceSelector()
                        .getMatchLabels())
                .containsExactly(Map.entry("team", "sre"));
        List<NetworkPolicyEgressRule> egress = policy.getSpec().getEgress();
        assertThat(egress)
                .extracting(rule -> ports(rule.getPorts()))
                .containsExactly(
                        List.of("UDP/53", "TCP/53"),
                        List.of("TCP/443", "TCP/6443"),
                        List.of("TCP/6432"),
                        List.of("TCP/9093"),
                        List.of("TCP/443"));
        assertThat(egress.get(1).getTo())
                .singleElement()
                .satisfies(peer -> assertThat(peer.getIpBlock().getCidr()).isEqualTo("10.0.0.1/32"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theServiceMonitorIsOffByDefaultAndScrapesThePrometheusEndpoint() {
        assertThat(objects(defaults())).noneMatch(o -> o.getKind().equals("ServiceMonitor"));

        GenericKubernetesResource monitor = objects(others()).stream()
                .filter(o -> o.getKind().equals("ServiceMonitor"))
                .map(GenericKubernetesResource.class::cast)
                .findFirst()
                .orElseThrow();
        assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
        assertThat((Map<String, Object>) monitor.get("spec", "selector"))
                .containsEntry(
                        "matchLabels",
                        Map.of("app.kubernetes.io/name", "stanch", "app.kubernetes.io/instance", RELEASE));
        List<Map<String, Object>> endpoints = monitor.get("spec", "endpoints");
        assertThat(endpoints)
                .singleElement()
                .satisfies(endpoint -> assertThat(endpoint)
                        .containsEntry("port", "http")
                        .containsEntry("path", "/actuator/prometheus"));
    }

    @Test
    void otherValuesChangeNamesImageAndReplicas() {
        String rendered = others();
        Deployment deployment = single(rendered, Deployment.class);

        assertThat(objects(rendered))
                .filteredOn(o -> !(o instanceof ServiceAccount))
                .extracting(o -> o.getMetadata().getName())
                .allMatch(name -> name.startsWith("responder"));
        assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
        assertThat(stanchContainer(deployment).getImage()).isEqualTo("registry.example/security/stanch:1.2.3");
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/name", "stanch");
    }

    @Test
    void theNotesSayHowToReachTheApiAndApproveAnAction() {
        String notes = StanchChart.notes(RELEASE, NAMESPACE, "auth: {oidc: {issuerUri: 'https://login.example'}}");

        assertThat(notes)
                .contains("kubectl -n stanch-system port-forward service/stanch 8080:8080")
                .contains("https://login.example")
                .contains("/api/v1/actions?status=pending-approval")
                .contains(
                        "-d '{\"reason\": \"checked the plan\"}' http://localhost:8080/api/v1/actions/ACTION_ID/approve")
                .doesNotContain("DRY RUN");
    }

    @Test
    void theNotesWarnOfADryRunAndOfAnApiNobodyCanCall() {
        String notes = StanchChart.notes(RELEASE, NAMESPACE, "guardrails: {dryRun: true}");

        assertThat(notes).contains("DRY RUN").contains("accepts no bearer token");
    }

    // ------------------------------------------------------------------------------ refused values

    @Test
    void aReplicaCountThatIsNoNumberIsRefusedByName() {
        assertRefused("replicaCount: two", "replicaCount");
    }

    @Test
    void anUnknownTopLevelKeyIsRefusedByName() {
        assertRefused("replicas: 2", "replicas");
    }

    @Test
    void aMissingDatabaseSecretIsRefusedByName() {
        assertRefused("database: {existingSecret: null}", "existingSecret");
        assertRefused("database: {existingSecret: ''}", "existingSecret");
    }

    @Test
    void outOfRangeGuardrailsAreRefusedByName() {
        assertRefused("guardrails: {actionsPerMinute: 0}", "actionsPerMinute");
        assertRefused("guardrails: {maxQuarantineShare: 1.5}", "maxQuarantineShare");
        assertRefused("guardrails: {maxQuarantineShare: 0}", "maxQuarantineShare");
        assertRefused("guardrails: {dryRun: 'yes'}", "dryRun");
        assertRefused("guardrails: {protectedNamespaces: [Kube-System]}", "protectedNamespaces");
        assertRefused("guardrails: {dryrun: true}", "dryrun");
        assertRefused("runner: {interval: 0s}", "interval");
        assertRefused("runner: {workers: 0}", "workers");
        assertRefused("topologySpread: {nodes: Sometimes}", "nodes");
    }

    @Test
    void podLabelsMayNotRedefineTheSelector() {
        assertRefused("podLabels: {app.kubernetes.io/name: other}", "podLabels");
        assertThat(single(render("podLabels: {team: sre}"), Deployment.class)
                        .getSpec()
                        .getTemplate()
                        .getMetadata()
                        .getLabels())
                .containsEntry("team", "sre")
                .containsEntry("app.kubernetes.io/name", "stanch");
    }

    @Test
    void anEmptyIngressListIsRefusedRatherThanOpeningThePortToEveryAddress() {
        assertRefused("networkPolicy: {ingress: {from: null}}", "from");
        assertRefused("networkPolicy: {ingress: {from: []}}", "from");
    }

    @Test
    void anExistingAccountMustBeNamed() {
        assertRefused("serviceAccount: {create: false}", "name");
        assertRefused("serviceAccount: {create: false, name: default}", "name");
    }

    @Test
    void aDisruptionBudgetThatWouldBlockEveryDrainIsRefused() {
        assertRefused("replicaCount: 1", "podDisruptionBudget.minAvailable");
        assertThat(objects(render("{replicaCount: 1, podDisruptionBudget: {enabled: false}}")))
                .noneMatch(o -> o.getKind().equals("PodDisruptionBudget"));
    }

    @Test
    void aClusterOlderThanTheChartIsRefused() {
        assertThatThrownBy(() -> template(RELEASE, NAMESPACE, "1.19.0", "")).hasMessageContaining("kubeVersion");
    }

    // ----------------------------------------------------------------------- schema and README

    /** Every value has a type in the schema: nothing slips through unchecked. */
    @Test
    @SuppressWarnings("unchecked")
    void theSchemaTypesEveryValue() throws IOException {
        Map<String, Object> schema =
                new Yaml().load(Files.readString(StanchChart.DIRECTORY.resolve("values.schema.json")));
        assertThat(schema).containsEntry("$schema", "http://json-schema.org/draft-07/schema#");
        assertThat(schema).containsEntry("additionalProperties", false);
        assertThat((List<String>) schema.get("required")).contains("image", "database");

        for (String key : valueKeys()) {
            Map<String, Object> node = schema;
            for (String part : key.split("\\.")) {
                Map<String, Object> properties =
                        (Map<String, Object>) resolve(schema, node).get("properties");
                assertThat(properties)
                        .as("the schema's properties around %s", key)
                        .isNotNull();
                node = (Map<String, Object>) properties.get(part);
                assertThat(node).as("%s in the schema", key).isNotNull();
            }
            Map<String, Object> resolved = resolve(schema, node);
            assertThat(resolved.containsKey("type") || resolved.containsKey("oneOf"))
                    .as("%s has a type in the schema: %s", key, resolved)
                    .isTrue();
        }
    }

    /** The README's table of values lists every key of values.yaml, and no key that is not there. */
    @Test
    void theReadmeDescribesEveryValue() throws IOException {
        String readme = Files.readString(StanchChart.DIRECTORY.resolve("README.md"));
        int values = readme.indexOf("\n## Values\n");
        assertThat(values).as("a Values section in the README").isPositive();
        int next = readme.indexOf("\n## ", values + 1);
        String table = readme.substring(values, next < 0 ? readme.length() : next);
        Set<String> documented = new TreeSet<>();
        Matcher row = Pattern.compile("(?m)^\\| `([^`]+)` \\|").matcher(table);
        while (row.find()) {
            documented.add(row.group(1));
        }

        assertThat(documented).containsExactlyInAnyOrderElementsOf(valueKeys());
    }

    // --------------------------------------------------------------------------------- helpers

    private static String render(String valuesYaml) {
        return template(RELEASE, NAMESPACE, KUBE_1_20, valuesYaml);
    }

    private static String defaults() {
        return render("");
    }

    private static String others() {
        return template(RELEASE, NAMESPACE, KUBE_1_20, OTHER_VALUES);
    }

    private static org.assertj.core.groups.Tuple kind(String kind, String apiVersion) {
        return org.assertj.core.groups.Tuple.tuple(kind, apiVersion);
    }

    private static void assertRefused(String values, String field) {
        assertThatThrownBy(() -> render(values))
                .as("refused: %s", values)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(field);
    }

    private static <T extends HasMetadata> T single(String rendered, Class<T> kind) {
        List<T> found = objects(rendered, kind);
        assertThat(found).as("one %s", kind.getSimpleName()).hasSize(1);
        return found.getFirst();
    }

    private static ConfigMap configMap(String rendered, String name) {
        return objects(rendered, ConfigMap.class).stream()
                .filter(map -> map.getMetadata().getName().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static Container stanchContainer(Deployment deployment) {
        List<Container> containers =
                deployment.getSpec().getTemplate().getSpec().getContainers();
        assertThat(containers).hasSize(1);
        return containers.getFirst();
    }

    private static Map<String, EnvVar> env(Container container) {
        Map<String, EnvVar> env = new LinkedHashMap<>();
        for (EnvVar variable : container.getEnv()) {
            assertThat(env.put(variable.getName(), variable))
                    .as("%s once", variable.getName())
                    .isNull();
        }
        return env;
    }

    private static SecretKeySelector secretRef(Map<String, EnvVar> env, String name) {
        EnvVar variable = env.get(name);
        assertThat(variable.getValue()).isNull();
        return variable.getValueFrom().getSecretKeyRef();
    }

    private static String mountPath(Container container, String volume) {
        return container.getVolumeMounts().stream()
                .filter(mount -> mount.getName().equals(volume))
                .map(VolumeMount::getMountPath)
                .findFirst()
                .orElseThrow();
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream()
                .filter(volume -> volume.getName().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static void assertProbe(Probe probe, String path) {
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
    }

    private static List<String> ports(List<NetworkPolicyPort> ports) {
        return ports.stream()
                .map(port -> port.getProtocol() + "/" + port.getPort().getIntVal())
                .toList();
    }

    private static Map<String, String> annotations(String rendered) {
        return single(rendered, Deployment.class)
                .getSpec()
                .getTemplate()
                .getMetadata()
                .getAnnotations();
    }

    /** The {@code *.yaml} files of a directory: name → text. */
    private static Map<String, String> playbookFiles(Path directory) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(directory)) {
            for (Path file : list.filter(f -> f.getFileName().toString().endsWith(".yaml"))
                    .toList()) {
                files.put(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
            }
        }
        return files;
    }

    /**
     * Spring Boot's binder over what a pod of this rendering would see: the ConfigMap's
     * application.yaml, under the container's environment (which wins, as in Spring), with Secret keys
     * and the pod's namespace resolved as the kubelet resolves them.
     */
    private static Binder binder(String rendered, Map<String, String> databaseSecret, Map<String, String> kafkaSecret) {
        Deployment deployment = single(rendered, Deployment.class);
        Map<String, Object> env = new HashMap<>();
        for (EnvVar variable : stanchContainer(deployment).getEnv()) {
            if (variable.getValue() != null) {
                env.put(variable.getName(), variable.getValue());
            } else if (variable.getValueFrom().getFieldRef() != null) {
                assertThat(variable.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
                env.put(variable.getName(), deployment.getMetadata().getNamespace());
            } else {
                SecretKeySelector ref = variable.getValueFrom().getSecretKeyRef();
                Map<String, String> secret = ref.getName().startsWith("kafka") ? kafkaSecret : databaseSecret;
                String value = secret.get(ref.getKey());
                assertThat(value != null || Boolean.TRUE.equals(ref.getOptional()))
                        .as("the Secret %s has the key %s, or it is optional", ref.getName(), ref.getKey())
                        .isTrue();
                if (value != null) {
                    env.put(variable.getName(), value);
                }
            }
        }
        String applicationYaml = configMap(rendered, deployment.getMetadata().getName() + "-config")
                .getData()
                .get("application.yaml");
        MutablePropertySources sources = new MutablePropertySources();
        // Named as Spring names the real one: only then does it map variable names to keys as in a pod
        // (SPRING_KAFKA_PROPERTIES_SASL_MECHANISM to an entry of the map spring.kafka.properties).
        sources.addLast(
                new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env));
        try {
            for (PropertySource<?> source : new YamlPropertySourceLoader()
                    .load(
                            "application.yaml",
                            new ByteArrayResource(applicationYaml.getBytes(StandardCharsets.UTF_8)))) {
                sources.addLast(source);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return new Binder(ConfigurationPropertySources.from(sources));
    }

    private static String string(Binder binder, String key) {
        return binder.bind(key, String.class).get();
    }

    /** The keys of values.yaml, dotted, down to each scalar, list or empty map. */
    @SuppressWarnings("unchecked")
    static Set<String> valueKeys() throws IOException {
        Map<String, Object> values = new Yaml().load(Files.readString(StanchChart.DIRECTORY.resolve("values.yaml")));
        Set<String> keys = new TreeSet<>();
        collectKeys("", values, keys);
        return keys;
    }

    @SuppressWarnings("unchecked")
    private static void collectKeys(String prefix, Map<String, Object> map, Set<String> keys) {
        for (Map.Entry<String, Object> entry : map.entrySet()) {
            String key = prefix + entry.getKey();
            if (entry.getValue() instanceof Map<?, ?> nested && !nested.isEmpty()) {
                collectKeys(key + ".", (Map<String, Object>) nested, keys);
            } else {
                keys.add(key);
            }
        }
    }

    /** A schema node with its {@code $ref} or single {@code allOf} followed, within this schema. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> resolve(Map<String, Object> schema, Map<String, Object> node) {
        Map<String, Object> current = node;
        while (true) {
            if (current.get("$ref") instanceof String ref) {
                Map<String, Object> target = schema;
                for (String part : ref.substring(2).split("/")) {
                    target = (Map<String, Object>) target.get(part);
                }
                current = target;
            } else if (!current.containsKey("type") && current.get("allOf") instanceof List<?> all && all.size() == 1) {
                current = (Map<String, Object>) all.getFirst();
            } else {
                return current;
            }
        }
    }
}
