package dev.stanch.bench;

import dev.stanch.packaging.Packaging;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Stanch as installed: the built jar in a JVM of its own, started with the image's flags, so that its
 * start-up, heap and resident memory are its own and not the benchmark's. It is told where
 * everything is through its properties, as the chart tells it.
 */
final class StanchProcess implements AutoCloseable {

    private final Process process;
    private final Instant launched;
    private final int port;
    private final List<String> flags;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private StanchProcess(Process process, Instant launched, int port, List<String> flags) {
        this.flags = flags;
        this.process = process;
        this.launched = launched;
        this.port = port;
    }

    /**
     * @param jvmFlags on top of the image's entrypoint flags
     * @param environment on top of this process's (e.g. {@code JAVA_TOOL_OPTIONS})
     * @param properties Spring properties, given as {@code --key=value} arguments
     */
    static StanchProcess start(
            Path jar, Path log, List<String> jvmFlags, Map<String, String> environment, Map<String, String> properties)
            throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is not built: run the benchmark with `package` before `exec:java`"
                    + " (docs/benchmarks.md)");
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The image's entrypoint's JVM flags (response-service/Dockerfile), between java and the launcher.
        List<String> entrypoint = Packaging.entrypoint();
        command.addAll(entrypoint.subList(1, entrypoint.size() - 1));
        command.addAll(jvmFlags);
        command.addAll(List.of("-jar", jar.toString()));
        List<String> flags = List.copyOf(command.subList(1, command.indexOf("-jar")));
        properties.forEach((key, value) -> command.add("--" + key + "=" + value));
        Instant launched = Instant.now();
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        Process process =
                builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new StanchProcess(process, launched, Integer.parseInt(properties.get("server.port")), flags);
    }

    /** The JVM's flags on its command line. */
    List<String> flags() {
        return flags;
    }

    long pid() {
        return process.pid();
    }

    /** Waits for readiness ({@code /actuator/health/readiness} UP) and returns how long it took from the launch. */
    Duration awaitReady(Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Stanch exited with " + process.exitValue() + " before it was ready");
            }
            try {
                HttpResponse<String> ready = get("/actuator/health/readiness");
                if (ready.statusCode() == 200 && ready.body().contains("\"UP\"")) {
                    return Duration.between(launched, Instant.now());
                }
            } catch (IOException notListeningYet) {
                // the port opens late in the start
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("Stanch not ready after " + patience);
    }

    /**
     * An unauthenticated GET: health and metrics are open (as the chart's probes and ServiceMonitor
     * use them). No credentials on purpose: a local user's bcrypt check costs tens of milliseconds of
     * CPU per request, which would be counted as Stanch's work.
     */
    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The sum of the samples of one Prometheus metric whose labels include all of {@code labels}
     * ({@code key="value"} each), from {@code /actuator/prometheus}.
     */
    double metric(String name, String... labels) throws IOException, InterruptedException {
        String scrape = get("/actuator/prometheus").body();
        double sum = 0;
        for (String line : scrape.split("\n")) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= line.contains(label);
            }
            if (all) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Heap in use now, as the JVM reports it to Micrometer (every heap pool). */
    long heapUsed() throws IOException, InterruptedException {
        return (long) metric("jvm_memory_used_bytes", "area=\"heap\"");
    }

    /**
     * The old generation after the last full or mixed collection ({@code jvm.gc.live.data.size}): what
     * the heap must hold, as against {@link #heapUsed()}, which includes garbage not collected yet.
     */
    long liveData() throws IOException, InterruptedException {
        return (long) metric("jvm_gc_live_data_size_bytes");
    }

    /** Resident set size of the process, from {@code /proc}. */
    long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS for process " + process.pid());
    }

    /** CPU time the process used so far (user + system), from {@code /proc}. */
    Duration cpu() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return Duration.ofMillis(ticks * 10); // USER_HZ is 100 on Linux
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
        }
    }
}
