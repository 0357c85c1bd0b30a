package dev.stanch.bench;

import dev.stanch.action.BlockPolicies;
import dev.stanch.bench.BenchCluster.Target;
import dev.stanch.packaging.Packaging;
import dev.stanch.sandbox.Sandbox;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;
import org.springframework.util.FileSystemUtils;

/**
 * Stanch's pipeline benchmark (issue 7): how fast it contains, how it holds under a storm, what it
 * costs. One run on the sandbox stack — a real Kafka broker (KRaft, in this JVM), a real PostgreSQL
 * (embedded) and the real kube-apiserver with etcd — with Stanch itself started from its jar in a
 * JVM of its own, and measured side by side:
 *
 * <ol>
 *   <li>the baseline: the run's parts alone — a produce→consume round trip, one API write (a
 *       NetworkPolicy, as Stanch's account), one ledger commit;
 *   <li>footprint: start-up to ready, heap and RSS idle;
 *   <li>time to contain, at a steady rate of detections on distinct pods: from the Kafka record's
 *       produce time to the API server's acknowledgement of the NetworkPolicy (its audit log's
 *       completion time of the create), with the ledger's times splitting it into its stages; heap,
 *       RSS and CPU under the load;
 *   <li>the storm: copies of one detection, as fast as the producer sends them;
 *   <li>fan-out: distinct pods with one detection each, sent at once.
 * </ol>
 *
 * Run it with the command in docs/benchmarks.md; settings are system properties ({@code
 * stanch.bench.*}, see {@link Settings}). It prints a report and writes it to {@code
 * target/bench/results.md}.
 */
public final class PipelineBenchmark {

    private static final String DETECTIONS = "stanch.detections";
    private static final String PING = "bench.ping";

    /** Detections sent before the measured phases, to warm Stanch's JVM up. */
    private static final int WARM_UP = 100;

    /** Where the detections' C2 server is: outside the cluster, one address for all. */
    private static final String PEER = "203.0.113.7";

    private final Settings settings;
    private final Path repo;
    private final Path work;
    private final List<String> report = new ArrayList<>();

    private EmbeddedPostgres postgres;
    private DataSource ledger;
    private BenchCluster cluster;
    private EmbeddedKafkaKraftBroker kafka;
    private KafkaProducer<String, byte[]> producer;
    private StanchProcess stanch;

    private PipelineBenchmark(Settings settings, Path repo, Path work) {
        this.settings = settings;
        this.repo = repo;
        this.work = work;
    }

    /**
     * What to run, from system properties.
     *
     * @param rates {@code stanch.bench.rates}: the steady rates, detections/s (default 50,200,500)
     * @param seconds {@code stanch.bench.seconds}: how long each rate is held (default 5)
     * @param storm {@code stanch.bench.storm}: copies of the storm's detection (default 100000)
     * @param fanOut {@code stanch.bench.fan-out}: pods of the fan-out (default 1000)
     * @param drain {@code stanch.bench.drain}: how long a phase may take to finish after its last
     *     detection was sent before what is not done is reported as such (default 600 s)
     * @param jfr {@code stanch.bench.jfr}: record Stanch with Java Flight Recorder's profile settings
     *     into {@code target/bench/stanch.jfr} (default false)
     */
    record Settings(List<Integer> rates, int seconds, int storm, int fanOut, Duration drain, boolean jfr) {

        static Settings fromSystemProperties() {
            return new Settings(
                    Arrays.stream(System.getProperty("stanch.bench.rates", "50,200,500")
                                    .split(","))
                            .map(String::trim)
                            .map(Integer::parseInt)
                            .toList(),
                    Integer.getInteger("stanch.bench.seconds", 5),
                    Integer.getInteger("stanch.bench.storm", 100_000),
                    Integer.getInteger("stanch.bench.fan-out", 1_000),
                    Duration.ofSeconds(Integer.getInteger("stanch.bench.drain", 600)),
                    Boolean.getBoolean("stanch.bench.jfr"));
        }
    }

    public static void main(String[] args) throws Exception {
        // exec:java runs in Maven's directory, the repository or the module: found either way.
        Path repo = Sandbox.repositoryRoot();
        System.setProperty("stanch.repo", repo.toString());
        Path work = repo.resolve("response-service/target/bench");
        FileSystemUtils.deleteRecursively(work);
        Files.createDirectories(work);
        PipelineBenchmark benchmark = new PipelineBenchmark(Settings.fromSystemProperties(), repo, work);
        try {
            benchmark.run();
        } finally {
            benchmark.stop();
        }
        Path results = work.resolve("results.md");
        Files.writeString(results, String.join("\n", benchmark.report) + "\n");
        System.out.println();
        System.out.println(String.join("\n", benchmark.report));
        System.out.println();
        System.out.println("written to " + results);
        // The broker's and the clients' threads are not all daemons.
        System.exit(0);
    }

    private void run() throws Exception {
        line("# Stanch pipeline benchmark, " + Instant.now());
        line("");
        line("Machine: " + Runtime.getRuntime().availableProcessors() + " cores, "
                + (physicalMemory() >> 30) + " GiB; " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + "; settings " + settings);
        startStack();

        int total = settings.rates().stream()
                .mapToInt(rate -> rate * settings.seconds())
                .sum();
        long populating = System.nanoTime();
        Map<Integer, List<Target>> ratePods = new LinkedHashMap<>();
        for (int rate : settings.rates()) {
            ratePods.put(rate, cluster.pods("r" + rate, rate * settings.seconds()));
        }
        List<Target> warmUpPods = cluster.pods("warm", WARM_UP);
        Target stormPod = cluster.pods("storm", 1).getFirst();
        List<Target> fanOutPods = cluster.pods("fan", settings.fanOut());
        line("Cluster: " + (total + WARM_UP + 1 + settings.fanOut()) + " running pods in namespaces of 100, created in "
                + seconds(Duration.ofNanos(System.nanoTime() - populating)));

        startStanch();
        baseline();
        warmUp(warmUpPods);
        for (Map.Entry<Integer, List<Target>> phase : ratePods.entrySet()) {
            steadyRate(phase.getKey(), phase.getValue());
        }
        storm(stormPod);
        fanOut(fanOutPods);
        line("");
        line("Stanch's ledger at the end: " + countsByStatus());
    }

    private void startStack() throws Exception {
        long started = System.nanoTime();
        postgres = EmbeddedPostgres.builder()
                .setDataDirectory(work.resolve("postgres"))
                .setCleanDataDirectory(true)
                .start();
        ledger = postgres.getPostgresDatabase();
        try (Connection connection = ledger.getConnection();
                Statement statement = connection.createStatement()) {
            statement.execute("create database bench");
        }
        cluster = BenchCluster.start(work.resolve("kube"));
        kafka = new EmbeddedKafkaKraftBroker(1, 2, DETECTIONS, "stanch.actions", "stanch.detections.dlt", PING);
        kafka.afterPropertiesSet();
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.getBrokersAsString(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                ByteArraySerializer.class,
                ProducerConfig.CLIENT_ID_CONFIG,
                "stanch-bench-detector"));
        line("Stack: PostgreSQL (embedded " + postgres.getJdbcUrl("postgres", "postgres") + "), Kafka (KRaft, "
                + kafka.getBrokersAsString() + "), kube-apiserver 1.20.2 with etcd; up in "
                + seconds(Duration.ofNanos(System.nanoTime() - started)));
    }

    private void startStanch() throws Exception {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("server.port", Integer.toString(freePort()));
        properties.put("spring.datasource.url", postgres.getJdbcUrl("postgres", "postgres"));
        properties.put("spring.datasource.username", "postgres");
        properties.put("spring.kafka.bootstrap-servers", kafka.getBrokersAsString());
        properties.put("stanch.kubernetes.kubeconfig", cluster.kubeconfig().toString());
        properties.put("stanch.playbooks.dir", repo.resolve("playbooks").toString());
        properties.put("stanch.instance-id", "bench");
        // Guardrails configured to allow what is measured: thousands of actions in minutes.
        properties.put("stanch.guardrails.actions-per-minute", "1000000");
        properties.put("stanch.guardrails.actions-per-minute-per-namespace", "1000000");
        properties.put("stanch.guardrails.max-active-actions", "1000000");
        properties.put("management.endpoints.web.exposure.include", "health,prometheus");
        List<String> jvm = new ArrayList<>();
        // As the chart runs it: the JVM sees the pod's memory limit as its RAM (what a container's cgroup
        // tells it), and gets the chart's JAVA_TOOL_OPTIONS.
        Map<String, Object> values = Packaging.yaml(repo.resolve("helm/stanch/values.yaml"));
        String limit = String.valueOf(((Map<?, ?>) ((Map<?, ?>) values.get("resources")).get("limits")).get("memory"));
        jvm.add("-XX:MaxRAM=" + limit.replace("Gi", "g").replace("Mi", "m"));
        String javaToolOptions = String.valueOf(values.get("javaToolOptions"));
        if (settings.jfr()) {
            jvm.add("-XX:StartFlightRecording=filename=" + work.resolve("stanch.jfr") + ",settings=profile");
        }
        stanch = StanchProcess.start(
                repo.resolve("response-service/target/stanch.jar"),
                work.resolve("stanch.log"),
                jvm,
                Map.of("JAVA_TOOL_OPTIONS", javaToolOptions),
                properties);
        line("Stanch: `java " + javaToolOptions + " " + String.join(" ", stanch.flags()) + " -jar stanch.jar` (the"
                + " image's flags, the chart's memory limit and JAVA_TOOL_OPTIONS)");
        Duration ready = stanch.awaitReady(Duration.ofMinutes(3));
        line("");
        line("## Footprint");
        line("");
        line("| What | Figure |");
        line("|---|---|");
        line("| Start-up: launch of `java -jar stanch.jar` → readiness UP | " + seconds(ready) + " |");
        Thread.sleep(10_000);
        line("| Idle (10 s after ready): heap used / live data after the last GC / RSS | " + mib(stanch.heapUsed())
                + " / " + mib(stanch.liveData()) + " / " + mib(stanch.rss()) + " |");
    }

    /** The parts alone: what time to contain is compared with. */
    private void baseline() throws Exception {
        int samples = 1_000;
        Latencies roundTrip = kafkaRoundTrips(samples, 200);
        Latencies apiWrite = apiWrites(300);
        Latencies commit = ledgerCommits(samples);
        baselineSum = roundTrip.percentile(99).plus(apiWrite.percentile(99)).plus(commit.percentile(99));
        line("");
        line("## Baseline: the parts alone");
        line("");
        line("| Part | Latency |");
        line("|---|---|");
        line("| Kafka produce → consume round trip (" + samples + " at 200/s, the detectors' producer settings) | "
                + roundTrip.summary() + " |");
        line("| One API write: create a NetworkPolicy as Stanch's account | " + apiWrite.summary() + " |");
        line("| One ledger commit: insert a row and commit, on Stanch's PostgreSQL | " + commit.summary() + " |");
        line("| Sum of the p99s; the target for time to contain at 200/s is p99 ≤ 2× this | "
                + Latencies.ms(baselineSum) + " → " + Latencies.ms(baselineSum.multipliedBy(2)) + " |");
    }

    private Duration baselineSum = Duration.ZERO;

    private Latencies kafkaRoundTrips(int count, int rate) throws Exception {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            List<TopicPartition> partitions = List.of(new TopicPartition(PING, 0), new TopicPartition(PING, 1));
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            long[] latencies = new long[count];
            AtomicLong received = new AtomicLong();
            AtomicBoolean done = new AtomicBoolean();
            Thread reader = Thread.ofPlatform().start(() -> {
                while (!done.get()) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                        long now = System.nanoTime();
                        int index = (int) received.getAndIncrement();
                        if (index < count) {
                            latencies[index] =
                                    now - ByteBuffer.wrap(record.value()).getLong();
                        }
                    }
                }
            });
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                LockSupport.parkNanos(start + i * 1_000_000_000L / rate - System.nanoTime());
                byte[] sent = ByteBuffer.allocate(Long.BYTES)
                        .putLong(System.nanoTime())
                        .array();
                producer.send(new ProducerRecord<>(PING, Integer.toString(i), sent));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received.get() < count && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            done.set(true);
            reader.join();
            return Latencies.ofNanos(Arrays.copyOf(latencies, (int) Math.min(count, received.get())));
        }
    }

    private Latencies apiWrites(int count) {
        KubernetesClient client = cluster.stanch();
        String namespace = cluster.admin()
                .namespaces()
                .resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                        .withNewMetadata()
                        .withName("bench-writes")
                        .endMetadata()
                        .build())
                .create()
                .getMetadata()
                .getName();
        List<Duration> took = new ArrayList<>();
        for (int i = 0; i < count + 50; i++) {
            NetworkPolicy policy = new NetworkPolicyBuilder()
                    .withNewMetadata()
                    .withName("write-" + i)
                    .withNamespace(namespace)
                    .endMetadata()
                    .withNewSpec()
                    .withNewPodSelector()
                    .addToMatchLabels("block.stanch.dev/write-" + i, "true")
                    .endPodSelector()
                    .withPolicyTypes("Egress")
                    .addNewEgress()
                    .addNewTo()
                    .withNewIpBlock()
                    .withCidr("0.0.0.0/0")
                    .withExcept(PEER + "/32")
                    .endIpBlock()
                    .endTo()
                    .endEgress()
                    .endSpec()
                    .build();
            long start = System.nanoTime();
            client.network().v1().networkPolicies().resource(policy).create();
            if (i >= 50) { // the first ones warm the client up
                took.add(Duration.ofNanos(System.nanoTime() - start));
            }
        }
        cluster.admin().network().v1().networkPolicies().inNamespace(namespace).delete();
        return Latencies.of(took);
    }

    private Latencies ledgerCommits(int count) throws Exception {
        DataSource bench = postgres.getDatabase("postgres", "bench");
        List<Duration> took = new ArrayList<>();
        try (Connection connection = bench.getConnection()) {
            try (Statement statement = connection.createStatement()) {
                statement.execute("create table commits (id bigserial primary key, at timestamptz, body text)");
            }
            connection.setAutoCommit(false);
            try (PreparedStatement insert =
                    connection.prepareStatement("insert into commits (at, body) values (?, ?)")) {
                for (int i = 0; i < count + 100; i++) {
                    long start = System.nanoTime();
                    insert.setTimestamp(1, Timestamp.from(Instant.now()));
                    insert.setString(2, "row " + i);
                    insert.executeUpdate();
                    connection.commit();
                    if (i >= 100) {
                        took.add(Duration.ofNanos(System.nanoTime() - start));
                    }
                }
            }
        }
        return Latencies.of(took);
    }

    /**
     * Detections at a low rate, not reported: the first ones through a new JVM pay for its class
     * loading and compilation, which would otherwise land in the first rate's figures.
     */
    private void warmUp(List<Target> pods) throws Exception {
        long start = System.nanoTime();
        Map<Target, Instant> produced = sendAtRate(pods, 20, start);
        Contained contained = awaitContained(produced);
        line("");
        line("Warm-up (not reported): " + pods.size() + " detections at 20/s, "
                + contained.toContain().count() + " contained in "
                + seconds(Duration.ofNanos(System.nanoTime() - start)) + ".");
    }

    /** Detections on distinct pods at a steady rate, each to be contained by a NetworkPolicy. */
    private void steadyRate(int rate, List<Target> pods) throws Exception {
        Duration cpuBefore = stanch.cpu();
        Sampler sampler = new Sampler(stanch);
        long start = System.nanoTime();
        Map<Target, Instant> produced = sendAtRate(pods, rate, start);
        Duration sending = Duration.ofNanos(System.nanoTime() - start);
        Contained contained = awaitContained(produced);
        Duration wall = Duration.ofNanos(System.nanoTime() - start);
        sampler.close();
        Duration cpu = stanch.cpu().minus(cpuBefore);

        line("");
        line("## Time to contain at " + rate + " detections/s");
        line("");
        line(pods.size() + " detections on " + pods.size() + " distinct pods sent in " + seconds(sending) + "; "
                + contained.toContain().count() + " contained" + contained.notDone() + ".");
        line("");
        line("| Stage | Latency |");
        line("|---|---|");
        line("| **Produce → NetworkPolicy acknowledged** | **"
                + contained.toContain().summary() + "** |");
        contained
                .lastAcknowledged()
                .ifPresent(last -> line("| Throughput: first sent → last acknowledged | "
                        + String.format(
                                Locale.ROOT,
                                "%.1f contained/s",
                                contained.toContain().count()
                                        / seconds(
                                                Duration.between(
                                                        produced.values()
                                                                .iterator()
                                                                .next(),
                                                        last),
                                                1))
                        + " |"));
        line("| produce → action recorded (Kafka, intake: read, plan, ledger) | "
                + contained.stages().get("intake").summary() + " |");
        line("| recorded → applying (waiting for a runner) | "
                + contained.stages().get("queue").summary() + " |");
        line("| applying → NetworkPolicy acknowledged (apply) | "
                + contained.stages().get("apply").summary() + " |");
        line("| acknowledged → applied (verify, ledger) | "
                + contained.stages().get("verify").summary() + " |");
        if (!baselineSum.isZero()) {
            Duration p99 = contained.toContain().percentile(99);
            line("| p99 against 2× the baseline sum (" + Latencies.ms(baselineSum.multipliedBy(2)) + ") | "
                    + String.format(Locale.ROOT, "%.1f×", p99.toNanos() / (double) baselineSum.toNanos()) + " the sum"
                    + " |");
        }
        line("| Stanch: CPU used / heap max / live data after the last GC / RSS max during the phase | "
                + String.format(Locale.ROOT, "%.2f cores", cpu.toNanos() / (double) wall.toNanos()) + " / "
                + mib(sampler.maxHeap()) + " / " + mib(stanch.liveData()) + " / " + mib(sampler.maxRss()) + " |");
    }

    /**
     * What the ledger and the audit log say of the actions for these detections, waited for until
     * every one has its NetworkPolicy acknowledged or has ended otherwise, or the drain time is up.
     */
    private Contained awaitContained(Map<Target, Instant> produced) throws Exception {
        long deadline = System.nanoTime() + settings.drain().toNanos();
        Map<String, Target> byPod = new HashMap<>();
        produced.keySet().forEach(target -> byPod.put(target.namespace() + "/" + target.pod(), target));
        String[] namespaces =
                produced.keySet().stream().map(Target::namespace).distinct().toArray(String[]::new);
        while (true) {
            List<Contained.Row> rows = new ArrayList<>();
            try (Connection connection = ledger.getConnection();
                    PreparedStatement query = connection.prepareStatement("""
                            select a.id, a.namespace, a.pod, a.status,
                                   (select min(l.at) from audit_log l where l.action_id = a.id and l.from_status is null) as created,
                                   (select min(l.at) from audit_log l where l.action_id = a.id and l.to_status = 'applying') as applying,
                                   (select min(l.at) from audit_log l where l.action_id = a.id and l.to_status = 'applied') as applied
                            from actions a
                            where a.kind = 'block-connection' and a.namespace = any (?)""")) {
                query.setArray(1, connection.createArrayOf("text", namespaces));
                try (ResultSet result = query.executeQuery()) {
                    while (result.next()) {
                        Target target = byPod.get(result.getString("namespace") + "/" + result.getString("pod"));
                        if (target == null) {
                            continue;
                        }
                        String id = result.getString("id");
                        rows.add(new Contained.Row(
                                target,
                                result.getString("status"),
                                produced.get(target),
                                instant(result.getTimestamp("created")),
                                instant(result.getTimestamp("applying")),
                                cluster.audit().policyCreated(target.namespace(), BlockPolicies.name(id)),
                                instant(result.getTimestamp("applied"))));
                    }
                }
            }
            Contained contained = Contained.of(rows, produced.size());
            if (contained.finished() || System.nanoTime() > deadline) {
                return contained;
            }
            Thread.sleep(1_000);
        }
    }

    /** The actions of one phase, as far as they got. */
    record Contained(List<Row> rows, int expected) {

        record Row(
                Target target,
                String status,
                Instant produced,
                Instant created,
                Instant applying,
                Instant acknowledged,
                Instant applied) {}

        static Contained of(List<Row> rows, int expected) {
            return new Contained(rows, expected);
        }

        /** Every detection has its action, and every action is applied or ended otherwise. */
        boolean finished() {
            return rows.size() >= expected
                    && rows.stream()
                            .allMatch(row ->
                                    !List.of("planned", "approved", "applying").contains(row.status())
                                            && (!"applied".equals(row.status()) || row.acknowledged() != null));
        }

        Optional<Instant> lastAcknowledged() {
            return rows.stream()
                    .map(Row::acknowledged)
                    .filter(java.util.Objects::nonNull)
                    .max(Instant::compareTo);
        }

        Latencies toContain() {
            return between(Row::produced, Row::acknowledged);
        }

        Map<String, Latencies> stages() {
            return Map.of(
                    "intake", between(Row::produced, Row::created),
                    "queue", between(Row::created, Row::applying),
                    "apply", between(Row::applying, Row::acknowledged),
                    "verify", between(Row::acknowledged, Row::applied));
        }

        /** {@code ""}, or what did not end contained: statuses and counts. */
        String notDone() {
            Map<String, Long> others = new LinkedHashMap<>();
            for (Row row : rows) {
                if (row.acknowledged() == null) {
                    others.merge(row.status(), 1L, Long::sum);
                }
            }
            if (rows.size() < expected) {
                others.put("no action yet", (long) (expected - rows.size()));
            }
            return others.isEmpty() ? "" : " (not contained: " + others + ")";
        }

        private Latencies between(
                java.util.function.Function<Row, Instant> from, java.util.function.Function<Row, Instant> to) {
            List<Duration> durations = new ArrayList<>();
            for (Row row : rows) {
                if (from.apply(row) != null && to.apply(row) != null) {
                    durations.add(Duration.between(from.apply(row), to.apply(row)));
                }
            }
            return Latencies.of(durations);
        }
    }

    /** Copies of one detection, as fast as one producer sends them. */
    private void storm(Target pod) throws Exception {
        int copies = settings.storm();
        // What the phases before left in the topic is not the storm's.
        if (awaitConsumed(System.nanoTime()).isEmpty()) {
            line("");
            line("## Storm: not run");
            line("");
            line("The phases before left detections unconsumed after " + seconds(settings.drain())
                    + "; the storm would be measured behind them.");
            return;
        }
        double duplicatesBefore = stanch.metric("stanch_detections_total", "outcome=\"duplicate\"");
        double actedBefore = stanch.metric("stanch_detections_total", "outcome=\"acted\"");
        double allBefore = stanch.metric("stanch_detections_total");
        long heapBefore = stanch.heapUsed();
        long rssBefore = stanch.rss();
        Sampler sampler = new Sampler(stanch);
        Instant time = Instant.now();
        byte[] value = detection(pod, UUID.randomUUID(), time);
        String key = pod.namespace() + "/" + pod.pod();
        long start = System.nanoTime();
        for (int i = 0; i < copies; i++) {
            producer.send(new ProducerRecord<>(DETECTIONS, key, value));
        }
        producer.flush();
        Duration sending = Duration.ofNanos(System.nanoTime() - start);
        Optional<Duration> consumed = awaitConsumed(start);
        sampler.close();
        Duration caughtUp = consumed.orElse(settings.drain());
        double duplicates = stanch.metric("stanch_detections_total", "outcome=\"duplicate\"") - duplicatesBefore;
        double acted = stanch.metric("stanch_detections_total", "outcome=\"acted\"") - actedBefore;
        double all = stanch.metric("stanch_detections_total") - allBefore;
        long actions =
                count("select count(*) from actions where namespace = ? and pod = ?", pod.namespace(), pod.pod());
        line("");
        line("## Storm: " + copies + " copies of one detection (one pod, one rule)");
        line("");
        line("| What | Figure |");
        line("|---|---|");
        line("| Sent by one producer in | " + seconds(sending) + " |");
        line("| First sent → every copy consumed and its offset committed | "
                + (consumed.isPresent() ? seconds(caughtUp) : "not within " + seconds(caughtUp)) + " |");
        line("| Throughput | " + String.format(Locale.ROOT, "%,.0f detections/s", copies / seconds(caughtUp, 1))
                + " |");
        line("| Actions for the pod | " + actions + " |");
        line("| Counted by `stanch.detections`: all / acted / duplicate | " + (long) all + " / " + (long) acted + " / "
                + (long) duplicates + " |");
        line("| Heap used before / max / after; RSS before / max / after | " + mib(heapBefore) + " / "
                + mib(Math.max(heapBefore, sampler.maxHeap())) + " / " + mib(stanch.heapUsed()) + "; " + mib(rssBefore)
                + " / " + mib(Math.max(rssBefore, sampler.maxRss())) + " / " + mib(stanch.rss())
                + "; live data after the last GC "
                + mib(stanch.liveData()) + " |");
    }

    /**
     * Waits until Stanch's consumer group has committed every offset of the detections topic, for
     * at most the drain time: how long it took from {@code start}, or empty.
     */
    private Optional<Duration> awaitConsumed(long start) throws Exception {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.getBrokersAsString()))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            latest.put(new TopicPartition(DETECTIONS, 0), OffsetSpec.latest());
            latest.put(new TopicPartition(DETECTIONS, 1), OffsetSpec.latest());
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((partition, info) -> ends.put(partition, info.offset()));
            long deadline = System.nanoTime() + settings.drain().toNanos();
            while (System.nanoTime() < deadline) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("stanch")
                        .partitionsToOffsetAndMetadata()
                        .get();
                boolean all = ends.entrySet().stream().allMatch(end -> {
                    OffsetAndMetadata offset = committed.get(end.getKey());
                    return end.getValue() == 0 || (offset != null && offset.offset() >= end.getValue());
                });
                if (all) {
                    return Optional.of(Duration.ofNanos(System.nanoTime() - start));
                }
                Thread.sleep(20);
            }
            return Optional.empty();
        }
    }

    /** Distinct pods with one detection each, sent at once. */
    private void fanOut(List<Target> pods) throws Exception {
        if (awaitConsumed(System.nanoTime()).isEmpty()) {
            line("");
            line("## Fan-out: not run");
            line("");
            line("The phases before left detections unconsumed after " + seconds(settings.drain())
                    + "; the fan-out would be measured behind them.");
            return;
        }
        long requestsBefore = cluster.requestsServed();
        Sampler sampler = new Sampler(stanch);
        Instant first = Instant.now();
        long start = System.nanoTime();
        Map<Target, Instant> produced = new LinkedHashMap<>();
        for (Target target : pods) {
            produced.put(target, send(target));
        }
        producer.flush();
        Duration sending = Duration.ofNanos(System.nanoTime() - start);
        Contained contained = awaitContained(produced);
        sampler.close();
        Instant last = contained.lastAcknowledged().orElse(Instant.now());
        Duration took = Duration.between(first, last);
        long requests = cluster.requestsServed() - requestsBefore;
        Instant end = Instant.now();
        long stanchRequests = cluster.audit().requests(first, end.plusSeconds(1));
        line("");
        line("## Fan-out: " + pods.size() + " pods, one detection each, sent at once");
        line("");
        line("| What | Figure |");
        line("|---|---|");
        line("| Sent in | " + seconds(sending) + " |");
        line("| Contained | " + contained.toContain().count() + " of " + pods.size() + contained.notDone() + " |");
        line("| First sent → last NetworkPolicy acknowledged | " + seconds(took) + " ("
                + String.format(Locale.ROOT, "%.0f", contained.toContain().count() / seconds(took, 1))
                + " contained/s) |");
        line("| Time to contain | " + contained.toContain().summary() + " |");
        line("| API server: requests served (all clients) / rate | " + requests + " / "
                + String.format(Locale.ROOT, "%.0f/s", requests / seconds(Duration.between(first, end), 1)) + " |");
        line("| Stanch's requests (audit log): total / per action / busiest second | " + stanchRequests + " / "
                + String.format(
                        Locale.ROOT,
                        "%.1f",
                        stanchRequests / (double) Math.max(1, contained.rows().size()))
                + " / " + cluster.audit().peakRequestsPerSecond(first, end.plusSeconds(1)) + " |");
        line("| Stanch: heap max / live data after the last GC / RSS max | " + mib(sampler.maxHeap()) + " / "
                + mib(stanch.liveData()) + " / " + mib(sampler.maxRss()) + " |");
    }

    /**
     * One detection per pod, each sent at its due time from {@code start} ({@code System.nanoTime})
     * at {@code rate} a second, then flushed: when each was sent.
     */
    private Map<Target, Instant> sendAtRate(List<Target> pods, int rate, long start) {
        Map<Target, Instant> produced = new LinkedHashMap<>();
        for (int i = 0; i < pods.size(); i++) {
            LockSupport.parkNanos(start + i * 1_000_000_000L / rate - System.nanoTime());
            produced.put(pods.get(i), send(pods.get(i)));
        }
        producer.flush();
        return produced;
    }

    /**
     * Sends a new detection about this pod, keyed {@code namespace/pod} as producers are asked to key
     * them, its timestamp the send time; returns that time.
     */
    private Instant send(Target target) {
        Instant at = Instant.now();
        producer.send(new ProducerRecord<>(
                DETECTIONS,
                null,
                at.toEpochMilli(),
                target.namespace() + "/" + target.pod(),
                detection(target, UUID.randomUUID(), at)));
        return at;
    }

    /** A Falco event as Falcosidekick's Kafka output sends it: an outbound connection to a C2 address. */
    private static byte[] detection(Target target, UUID uuid, Instant time) {
        return """
                {"uuid":"%1$s","output":"Outbound connection to C2 server (k8s.ns=%2$s k8s.pod=%3$s)",\
                "priority":"Warning","rule":"Outbound Connection to C2 Servers","time":"%4$s","source":"syscalls",\
                "output_fields":{"k8s.ns.name":"%2$s","k8s.pod.name":"%3$s","container.name":"app",\
                "evt.type":"connect","fd.type":"ipv4","fd.l4proto":"tcp",\
                "fd.name":"%5$s:41234->%6$s:443","fd.lip":"%5$s","fd.lport":41234,"fd.rip":"%6$s","fd.rport":443}}""".formatted(uuid, target.namespace(), target.pod(), time, target.ip(), PEER)
                .getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Heap and RSS of Stanch, sampled every second until closed (a scrape costs Stanch some CPU: the
     * chart's ServiceMonitor scrapes every 30 s).
     */
    private static final class Sampler implements AutoCloseable {

        private final AtomicLong maxHeap = new AtomicLong();
        private final AtomicLong maxRss = new AtomicLong();
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final Thread thread;

        Sampler(StanchProcess stanch) {
            thread = Thread.ofPlatform().daemon().name("sampler").start(() -> {
                while (!stopped.get()) {
                    try {
                        maxHeap.accumulateAndGet(stanch.heapUsed(), Math::max);
                        maxRss.accumulateAndGet(stanch.rss(), Math::max);
                        Thread.sleep(1_000);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        // a scrape that timed out under load: the next one counts
                    }
                }
            });
        }

        long maxHeap() {
            return maxHeap.get();
        }

        long maxRss() {
            return maxRss.get();
        }

        @Override
        public void close() throws InterruptedException {
            stopped.set(true);
            thread.join();
        }
    }

    private Map<String, Long> countsByStatus() throws Exception {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection connection = ledger.getConnection();
                Statement statement = connection.createStatement();
                ResultSet result =
                        statement.executeQuery("select status, count(*) from actions group by status order by 1")) {
            while (result.next()) {
                counts.put(result.getString(1), result.getLong(2));
            }
        }
        return counts;
    }

    private long count(String sql, String... params) throws Exception {
        try (Connection connection = ledger.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                statement.setString(i + 1, params[i]);
            }
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getLong(1);
            }
        }
    }

    private void stop() {
        for (AutoCloseable part : new AutoCloseable[] {stanch, producer, () -> kafka.destroy(), cluster, postgres}) {
            try {
                if (part != null) {
                    part.close();
                }
            } catch (Exception e) {
                System.err.println("benchmark: could not stop " + part + ": " + e);
            }
        }
    }

    private void line(String text) {
        report.add(text);
        System.out.println(text);
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static String seconds(Duration duration) {
        return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }

    private static double seconds(Duration duration, double atLeastMillis) {
        return Math.max(atLeastMillis, duration.toMillis()) / 1000.0;
    }

    private static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }

    private static long physicalMemory() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
