package dev.stanch.kubernetes;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubeapitest.process.EtcdProcess;
import io.fabric8.kubeapitest.process.KubeAPIServerProcess;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Kubernetes control plane for the {@code *ApiServerIT} tests: kube-apiserver 1.20.2 and etcd,
 * started by fabric8's kube-api-test in offline mode, plus a kube-controller-manager that we start
 * ourselves, so that token Secrets get their token, ReplicaSets make pods, and garbage is collected.
 * There is no kubelet: pods are created but never run, and nothing enforces NetworkPolicy.
 *
 * <p>The binaries come from the cache that {@code .ci/kube-binaries} fills (see {@link
 * KubeBinaries}). One instance serves a whole test JVM ({@link KubeApiServerExtension}); tests
 * isolate themselves by namespace ({@link #createNamespace}).
 */
public final class KubeApiServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KubeApiServer.class);

    /**
     * What the tests need from a controller-manager, nothing that needs nodes or a cloud: token
     * Secrets and default service accounts, Deployments and ReplicaSets, garbage collection,
     * Endpoints, namespace deletion, and the aggregated admin/edit/view ClusterRoles.
     */
    private static final String CONTROLLERS = "serviceaccount-token,serviceaccount,replicaset,deployment,"
            + "garbagecollector,endpoint,namespace,clusterrole-aggregation";

    private static final Duration CONTROLLER_MANAGER_READY = Duration.ofSeconds(60);

    /** kube-api-test's certificates are valid for a year; make new ones well before. */
    private static final Duration CERTIFICATES_KEPT = Duration.ofDays(180);

    /** TokenRequest wants 10 minutes at least; an hour outlasts any test run. */
    private static final long TOKEN_SECONDS = 3600;

    private final Process controllerManager;
    private final Path controllerManagerLog;
    private final KubernetesClient admin;
    private final Thread shutdownHook;
    private final Path auditLog;

    private KubeApiServer(
            Process controllerManager,
            Path controllerManagerLog,
            KubernetesClient admin,
            Thread shutdownHook,
            Path auditLog) {
        this.controllerManager = controllerManager;
        this.controllerManagerLog = controllerManagerLog;
        this.admin = admin;
        this.shutdownHook = shutdownHook;
        this.auditLog = auditLog;
    }

    /** The API server's audit log (JSON lines): every request of Stanch's own account, at Metadata level. */
    public Path auditLog() {
        return auditLog;
    }

    /**
     * Starts etcd, the API server and the controller-manager, and returns once the controller-manager
     * has given the {@code default} namespace its service account.
     *
     * @param binaries the complete binary cache
     * @param workDir a directory of this build's (under {@code target/}) for certificates, the admin
     *     kubeconfig and the processes' logs
     */
    public static KubeApiServer start(KubeBinaries binaries, Path workDir) {
        long started = System.nanoTime();
        Path testDir = prepareTestDir(binaries, workDir);
        logProcessOutput(
                KubeAPIServerProcess.class.getName() + ".APIServerProcessLogs", workDir.resolve("kube-apiserver.log"));
        logProcessOutput(EtcdProcess.class.getName() + ".EtcdProcessLogs", workDir.resolve("etcd.log"));
        Path auditLog = workDir.resolve("audit.log");
        Path auditPolicy = workDir.resolve("audit-policy.yaml");
        try {
            Files.deleteIfExists(auditLog);
            // What Stanch's own account asks of the server, and nothing else: the evidence that each
            // rule of the chart's ClusterRole is used (ClusterRoleUsageApiServerIT).
            Files.writeString(auditPolicy, """
                    apiVersion: audit.k8s.io/v1
                    kind: Policy
                    omitStages: [RequestReceived]
                    rules:
                      - level: Metadata
                        users: ["%s"]
                      - level: None
                    """.formatted(StanchIdentity.USER));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        KubeAPIServer apiServer = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(testDir.toString())
                .withApiServerVersion(KubeBinaries.VERSION)
                .withOfflineMode(true)
                .withApiServerFlag("--audit-policy-file", auditPolicy.toString())
                .withApiServerFlag("--audit-log-path", auditLog.toString())
                .withApiServerFlag("--audit-log-format", "json")
                .build());
        // Processes outlive the JVM unless stopped: the hook covers an interrupted run (Ctrl-C), the
        // extension's close() the normal end.
        Stopper stops = new Stopper();
        Thread hook = new Thread(stops, "kube-api-server-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stops.add(apiServer::stop);
            apiServer.start();
            Path kubeconfig = testDir.resolve("admin.kubeconfig");
            Files.writeString(kubeconfig, apiServer.getKubeConfigYaml(), StandardCharsets.UTF_8);
            long apiServerReady = System.nanoTime();

            Path cmLog = workDir.resolve("kube-controller-manager.log");
            Process cm = startControllerManager(binaries, testDir, kubeconfig, cmLog);
            stops.add(() -> stopProcess(cm));
            KubernetesClient admin = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
                    .build();
            stops.add(admin::close);
            KubeApiServer server = new KubeApiServer(cm, cmLog, admin, hook, auditLog);
            server.awaitServiceAccount("default", "default");
            log.info(
                    "kube-apiserver {} ready in {} ms, kube-controller-manager {} ms later (logs: {})",
                    KubeBinaries.VERSION,
                    TimeUnit.NANOSECONDS.toMillis(apiServerReady - started),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - apiServerReady),
                    workDir);
            return server;
        } catch (IOException e) {
            stopNow(hook);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            stopNow(hook);
            throw e;
        }
    }

    /** The client of the cluster admin (group system:masters): everything is allowed. */
    public KubernetesClient admin() {
        return admin;
    }

    /**
     * A client that authenticates as {@code serviceAccount} of {@code namespace} with a token from the
     * TokenRequest API, as a pod's projected token would; the service account is created if missing.
     * It is allowed only what RBAC grants that account. The caller closes it.
     */
    KubernetesClient clientFor(String namespace, String serviceAccount) {
        var account = admin.serviceAccounts().inNamespace(namespace).withName(serviceAccount);
        if (account.get() == null) {
            admin.serviceAccounts()
                    .inNamespace(namespace)
                    .resource(new ServiceAccountBuilder()
                            .withNewMetadata()
                            .withName(serviceAccount)
                            .endMetadata()
                            .build())
                    .create();
        }
        String token = account.tokenRequest(new TokenRequestBuilder()
                        .withNewSpec()
                        .withExpirationSeconds(TOKEN_SECONDS)
                        .endSpec()
                        .build())
                .getStatus()
                .getToken();
        return clientWithToken(namespace, token);
    }

    /** A client that authenticates with a bearer token (e.g. one read from a token Secret). */
    KubernetesClient clientWithToken(String namespace, String token) {
        Config adminConfig = admin.getConfiguration();
        // From Config.empty(), not autoConfigure: nothing from ~/.kube/config or the environment may
        // add credentials to the token.
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(adminConfig.getMasterUrl())
                .withCaCertFile(adminConfig.getCaCertFile())
                .withOauthToken(token)
                .withNamespace(namespace)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** Creates a namespace with a generated name that starts with {@code prefix}, and returns it. */
    public String createNamespace(String prefix) {
        return admin.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withGenerateName(prefix + "-")
                        .endMetadata()
                        .build())
                .create()
                .getMetadata()
                .getName();
    }

    /**
     * Waits until the controller-manager has created {@code name} in {@code namespace} (for {@code
     * default}, the sign that it runs and watches that namespace).
     */
    public ServiceAccount awaitServiceAccount(String namespace, String name) {
        if (!controllerManager.isAlive()) {
            throw new IllegalStateException("kube-controller-manager exited with " + controllerManager.exitValue()
                    + "; see " + controllerManagerLog);
        }
        try {
            return admin.serviceAccounts()
                    .inNamespace(namespace)
                    .withName(name)
                    .waitUntilCondition(Objects::nonNull, CONTROLLER_MANAGER_READY.toSeconds(), TimeUnit.SECONDS);
        } catch (RuntimeException e) {
            throw new IllegalStateException(
                    "no service account " + namespace + "/" + name + " after " + CONTROLLER_MANAGER_READY
                            + "; is kube-controller-manager working? See " + controllerManagerLog,
                    e);
        }
    }

    @Override
    public void close() {
        stopNow(shutdownHook);
    }

    /** Runs the shutdown hook's stops now, in this thread, and unregisters it. */
    private static void stopNow(Thread shutdownHook) {
        shutdownHook.run();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // Called during JVM shutdown: the stops ran above and run only once.
        }
    }

    /**
     * kube-api-test's directory: its certificates and keys, and {@code k8s} linked to the shared binary
     * cache, which is where it looks for binaries. The certificates are kept from run to run (making
     * their RSA keys takes seconds on a loaded machine) until they near the end of their year of
     * validity.
     */
    private static Path prepareTestDir(KubeBinaries binaries, Path workDir) {
        Path testDir = workDir.resolve("kube-api-test");
        Path certificate = testDir.resolve("apiserver.crt");
        try {
            if (Files.exists(testDir)
                    && !(Files.exists(certificate)
                            && Files.getLastModifiedTime(certificate)
                                    .toInstant()
                                    .isAfter(Instant.now().minus(CERTIFICATES_KEPT)))) {
                try (Stream<Path> paths = Files.walk(testDir)) {
                    for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(path);
                    }
                }
            }
            Files.createDirectories(testDir);
            Path link = testDir.resolve("k8s");
            Files.deleteIfExists(link); // the link, not the cache: STANCH_KUBE_DIR may have changed
            Files.createSymbolicLink(link, binaries.k8sDir());
            return testDir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * kube-api-test forwards each line its processes print to a logger of its own at DEBUG; send them
     * to a file rather than drown the test output. Done here, not in logback-test.xml, so that only a
     * JVM that starts the server creates the files.
     */
    private static void logProcessOutput(String loggerName, Path file) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another logging backend: its own configuration decides
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(context);
        appender.setName(file.getFileName().toString());
        appender.setFile(file.toString());
        appender.setAppend(false);
        appender.setEncoder(encoder);
        appender.start();
        ch.qos.logback.classic.Logger logger = context.getLogger(loggerName);
        logger.setLevel(Level.DEBUG);
        logger.setAdditive(false);
        logger.addAppender(appender);
    }

    private static Process startControllerManager(KubeBinaries binaries, Path testDir, Path kubeconfig, Path logFile)
            throws IOException {
        List<String> command = List.of(
                binaries.controllerManager().toString(),
                "--kubeconfig=" + kubeconfig,
                "--controllers=" + CONTROLLERS,
                // Signs the tokens of legacy token Secrets: must be the key the API server verifies
                // with. kube-api-test passes its apiserver.key as --service-account-key-file and as
                // the signing key (KubeAPIServerProcess).
                "--service-account-private-key-file=" + testDir.resolve("apiserver.key"),
                "--root-ca-file=" + testDir.resolve("apiserver.crt"),
                "--use-service-account-credentials=false",
                "--leader-elect=false",
                // No serving at all: 1.20 would otherwise listen on the fixed ports 10252 (HTTP) and
                // 10257, which two test JVMs on one machine would fight over.
                "--port=0",
                "--secure-port=0",
                "--v=2");
        Files.createDirectories(logFile.getParent());
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(logFile.toFile())
                .start();
    }

    /** Stops what was started, last started first, once, whoever calls first (close() or the hook). */
    private static final class Stopper implements Runnable {
        private final Deque<Runnable> steps = new ArrayDeque<>();
        private boolean done;

        synchronized void add(Runnable step) {
            steps.push(step);
        }

        @Override
        public synchronized void run() {
            if (done) {
                return;
            }
            done = true;
            for (Runnable step : steps) {
                try {
                    step.run();
                } catch (RuntimeException e) {
                    // Go on: the remaining processes must still be stopped.
                    log.warn("could not stop part of the test cluster", e);
                }
            }
        }
    }

    private static void stopProcess(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
