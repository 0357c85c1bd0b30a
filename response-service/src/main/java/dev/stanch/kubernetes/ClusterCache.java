package dev.stanch.kubernetes;

import dev.stanch.action.ObjectRef;
import dev.stanch.action.ServerInfo;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link ClusterReader#read} lists, kept current by watches instead of listed per plan: one
 * fabric8 informer per kind, cluster-wide, each filtered by namespace on read through the informer's
 * namespace index. Listing ~14 kinds, several cluster-wide, for every plan and every verification
 * cost hundreds of milliseconds of TLS and JSON per detection, grew with the cluster, and loaded the
 * API server; from the cache a snapshot is a few list copies.
 *
 * <p>Which kinds: namespaces, pods, NetworkPolicies, RoleBindings, ClusterRoleBindings,
 * ReplicaSets, StatefulSets, DaemonSets, ReplicationControllers, Jobs, Services and
 * ServiceAccounts always; the admin-tier and Cilium policy kinds once discovery says the server
 * serves them ({@link #serve}). Token Secrets are never cached: they carry tokens, and the reader
 * lists them per read in the target's namespace, their data dropped.
 *
 * <p>Freshness: a read is refused with a {@link KubernetesFailure.Reason#TRANSIENT transient}
 * failure — so that the Kafka intake redelivers and the runner backs off, as for a 503 — while any
 * informer it needs has not synced, has stopped, or has not been watching for {@link #WATCH_GRACE}
 * (a watch that reconnects is normal; one that stays down means the cache ages silently). The time a
 * watch went down is kept whether or not anything reads: a check every {@link #WATCH_CHECK} (and
 * each list or watch failure the informer reports) records it, and clears it once the watch is back,
 * so that the grace counts from the loss — give or take one check — not from the first read after
 * it. Between
 * those, a read may be milliseconds behind the API server: planning tolerates that, because every
 * step reads what it changes again and writes with resourceVersion preconditions, and the executor
 * makes verification wait for its own writes ({@link #awaitSeen}).
 *
 * <p>The objects in the stores are shared by every reader and must not be changed: the planners
 * and verifiers only read them, and copy with builders where they derive new objects.
 *
 * <p>Informers retry forever with backoff (their exception handler says so), so that a cache
 * started while the API server is away fills itself once the server is back; {@link #start} never
 * blocks. A failure that the server answered with 401, 403 or 404 (Stanch's role lacks {@code list}
 * or {@code watch} on a kind, a CRD removed) is logged as a warning naming the kind, at most once a
 * {@link #WARN_EVERY} per kind; reconnects are logged at debug. Needs {@code list} and {@code watch} on every cached kind (see {@link
 * dev.stanch.action.ClusterRead#RBAC}).
 */
public final class ClusterCache implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterCache.class);

    /** How long an informer may be without its watch (reconnecting) before reads refuse its store. */
    public static final Duration WATCH_GRACE = Duration.ofSeconds(5);

    /** How often the informers' watches are checked, so that {@link #WATCH_GRACE} counts from a loss. */
    static final Duration WATCH_CHECK = Duration.ofSeconds(1);

    /** At most one warning per kind this often for a list or watch the server refuses. */
    static final Duration WARN_EVERY = Duration.ofMinutes(1);

    private static final Duration DISCOVERY_RETRY = Duration.ofSeconds(5);

    /** The kinds every cluster serves, by kind name. */
    private static final List<String> CORE_KINDS = List.of(
            "Namespace",
            "Pod",
            "NetworkPolicy",
            "RoleBinding",
            "ClusterRoleBinding",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "ReplicationController",
            "Job",
            "Service",
            "ServiceAccount");

    /** The policy kinds cached only where the server serves them, with their definitions. */
    static final Map<String, ResourceDefinitionContext> OPTIONAL_KINDS = optionalKinds();

    private final KubernetesClient client;
    private final Map<String, SharedIndexInformer<? extends HasMetadata>> informers = new ConcurrentHashMap<>();
    /** Per kind, the {@link #nanoTime} at which its synced informer was first seen without its watch. */
    private final Map<String, Long> notWatchingSince = new ConcurrentHashMap<>();

    private final Map<String, Long> lastWarned = new ConcurrentHashMap<>();
    private final Object changes = new Object();
    private final AtomicInteger threads = new AtomicInteger();
    /** Discovery (which may wait on the API server) and the watch check: two threads, so one never delays the other. */
    private final ScheduledExecutorService background = Executors.newScheduledThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "stanch-cluster-cache-" + threads.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    private final LongSupplier nanoTime;
    private volatile boolean discovered;
    private volatile boolean syncedOnce;
    private volatile boolean closed;

    public ClusterCache(KubernetesClient client) {
        this(client, System::nanoTime);
    }

    /** With a clock of its own ({@link System#nanoTime} in production): for tests of the watch grace. */
    ClusterCache(KubernetesClient client, LongSupplier nanoTime) {
        this.client = client;
        this.nanoTime = nanoTime;
    }

    /**
     * Starts the informers of the core kinds, and — in the background, retried until the server
     * answers — discovery, which starts those of the policy kinds it serves; and the check of the
     * watches every {@link #WATCH_CHECK}. Returns at once.
     */
    public ClusterCache start() {
        for (String kind : CORE_KINDS) {
            startInformer(kind);
        }
        background.execute(this::discover);
        background.scheduleWithFixedDelay(
                this::checkWatches, WATCH_CHECK.toMillis(), WATCH_CHECK.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Records when each synced informer lost its watch, and forgets it once the watch is back — as
     * time passes, not as reads come — so that {@link #WATCH_GRACE} counts from the loss.
     */
    void checkWatches() {
        try {
            informers.forEach((kind, informer) -> {
                if (informer.isRunning() && informer.hasSynced() && !informer.isWatching()) {
                    notWatchingSince.putIfAbsent(kind, nanoTime.getAsLong());
                } else {
                    notWatchingSince.remove(kind);
                }
            });
            synced();
        } catch (RuntimeException e) {
            // Never let the scheduled check die: it would silently stop counting the grace.
            log.warn("cluster cache: checking the watches failed", e);
        }
    }

    private void discover() {
        if (closed) {
            return;
        }
        try {
            serve(new ClusterReader(client).server());
        } catch (KubernetesFailure e) {
            log.info("cluster cache: discovery failed, trying again in {}: {}", DISCOVERY_RETRY, e.getMessage());
            if (!closed) {
                background.schedule(this::discover, DISCOVERY_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * Starts the informers of the policy kinds this server serves and stops those of kinds it no
     * longer serves (a CRD removed). Idempotent and cheap: called on every read.
     */
    void serve(ServerInfo server) {
        discovered = true;
        for (String kind : OPTIONAL_KINDS.keySet()) {
            boolean served = served(server, kind);
            if (served && !informers.containsKey(kind)) {
                startInformer(kind);
            } else if (!served && informers.containsKey(kind)) {
                SharedIndexInformer<? extends HasMetadata> informer = informers.remove(kind);
                if (informer != null) {
                    log.info("cluster cache: the server no longer serves {}: its informer stopped", kind);
                    informer.stop();
                }
            }
        }
    }

    static boolean served(ServerInfo server, String kind) {
        return switch (kind) {
            case "ClusterNetworkPolicy" -> server.hasClusterNetworkPolicy();
            case "AdminNetworkPolicy" -> server.hasAdminNetworkPolicy();
            case "BaselineAdminNetworkPolicy" ->
                server.hasAdminNetworkPolicy()
                        && server.resources().contains("policy.networking.k8s.io/v1alpha1/BaselineAdminNetworkPolicy");
            case "CiliumNetworkPolicy" -> server.hasCiliumNetworkPolicy();
            case "CiliumClusterwideNetworkPolicy" -> server.hasCiliumClusterwideNetworkPolicy();
            default -> false;
        };
    }

    private synchronized void startInformer(String kind) {
        if (closed || informers.containsKey(kind)) {
            return;
        }
        SharedIndexInformer<? extends HasMetadata> informer = informerOf(kind);
        informer.exceptionHandler((started, failure) -> retryAfter(kind, started, failure));
        informer.addEventHandler(new ResourceEventHandler<HasMetadata>() {
            @Override
            public void onAdd(HasMetadata object) {
                changed();
            }

            @Override
            public void onUpdate(HasMetadata before, HasMetadata after) {
                changed();
            }

            @Override
            public void onDelete(HasMetadata object, boolean finalStateUnknown) {
                changed();
            }
        });
        informers.put(kind, informer);
        informer.start().whenComplete((ignored, failure) -> {
            if (failure == null) {
                log.info("cluster cache: {} synced", kind);
                changed();
            }
        });
    }

    /**
     * Informers keep trying (with their backoff): a cache must outlive an API server outage. A
     * synced informer whose list or watch failed is without its watch from now on, until the
     * check sees it back.
     */
    private boolean retryAfter(String kind, boolean started, Throwable failure) {
        if (closed) {
            return false;
        }
        SharedIndexInformer<? extends HasMetadata> informer = informers.get(kind);
        if (informer != null && informer.hasSynced()) {
            notWatchingSince.putIfAbsent(kind, nanoTime.getAsLong());
        }
        int refused = refusedCode(failure);
        if (ExceptionHandler.isDeserializationException(failure)) {
            log.warn("cluster cache: a {} could not be read; trying again", kind, failure);
        } else if (refused != 0) {
            if (warnNow(kind)) {
                log.warn(
                        "cluster cache: the API server refused to list or watch {}s ({}): {}; its informer does"
                                + " not sync and reads that need it fail until this is fixed (Stanch's ClusterRole"
                                + " needs list and watch on it; a 404 is a kind no longer served). Trying again;"
                                + " this is logged at most once every {}",
                        kind,
                        refused,
                        failure.getMessage(),
                        WARN_EVERY);
            } else {
                log.debug("cluster cache: list or watch of {}s refused ({}); trying again", kind, refused);
            }
        } else {
            log.debug("cluster cache: list or watch of {}s failed (started: {}); trying again", kind, started, failure);
        }
        return true;
    }

    /** 401, 403 or 404 when the server answered so, else 0 (no answer, 5xx, a watch that ended …). */
    static int refusedCode(Throwable failure) {
        for (Throwable e = failure; e != null; e = e.getCause() == e ? null : e.getCause()) {
            if (e instanceof KubernetesClientException client) {
                int code = client.getCode();
                if (code == 401 || code == 403 || code == 404) {
                    return code;
                }
            }
        }
        return 0;
    }

    /** Whether a warning about this kind is due: the first one, or {@link #WARN_EVERY} after the last. */
    boolean warnNow(String kind) {
        long now = nanoTime.getAsLong();
        boolean[] due = {false};
        lastWarned.compute(kind, (ignored, last) -> {
            if (last == null || now - last >= WARN_EVERY.toNanos()) {
                due[0] = true;
                return now;
            }
            return last;
        });
        return due[0];
    }

    private SharedIndexInformer<? extends HasMetadata> informerOf(String kind) {
        ResourceDefinitionContext optional = OPTIONAL_KINDS.get(kind);
        if (optional != null) {
            return optional.isNamespaceScoped()
                    ? client.genericKubernetesResources(optional)
                            .inAnyNamespace()
                            .runnableInformer(0)
                    : client.genericKubernetesResources(optional).runnableInformer(0);
        }
        return switch (kind) {
            case "Namespace" -> client.namespaces().runnableInformer(0);
            case "Pod" -> client.pods().inAnyNamespace().runnableInformer(0);
            case "NetworkPolicy" ->
                client.network().v1().networkPolicies().inAnyNamespace().runnableInformer(0);
            case "RoleBinding" -> client.rbac().roleBindings().inAnyNamespace().runnableInformer(0);
            case "ClusterRoleBinding" -> client.rbac().clusterRoleBindings().runnableInformer(0);
            case "ReplicaSet" -> client.apps().replicaSets().inAnyNamespace().runnableInformer(0);
            case "StatefulSet" -> client.apps().statefulSets().inAnyNamespace().runnableInformer(0);
            case "DaemonSet" -> client.apps().daemonSets().inAnyNamespace().runnableInformer(0);
            case "ReplicationController" ->
                client.replicationControllers().inAnyNamespace().runnableInformer(0);
            case "Job" -> client.batch().v1().jobs().inAnyNamespace().runnableInformer(0);
            case "Service" -> client.services().inAnyNamespace().runnableInformer(0);
            case "ServiceAccount" -> client.serviceAccounts().inAnyNamespace().runnableInformer(0);
            default -> throw new IllegalArgumentException("the cluster cache does not hold " + kind);
        };
    }

    /** Whether the cache holds objects of this kind (a Secret, for one, it never does). */
    boolean holds(String kind) {
        return CORE_KINDS.contains(kind) || OPTIONAL_KINDS.containsKey(kind);
    }

    /**
     * Whether discovery has said which policy kinds to cache, and every informer started so far
     * has synced and serves reads (watching, or within its {@link #WATCH_GRACE}).
     */
    public boolean synced() {
        boolean synced = discovered
                && !informers.isEmpty()
                && informers.keySet().stream().allMatch(kind -> notReady(kind) == null);
        if (synced) {
            syncedOnce = true;
        }
        return synced;
    }

    /**
     * Whether the cache has been {@link #synced} at least once (observed by a call to it, or by
     * the watch check every {@link #WATCH_CHECK}): the readiness of a new instance. It stays true
     * when a watch is lost later — a restart would not bring the API server back.
     */
    public boolean syncedOnce() {
        return syncedOnce || synced();
    }

    /** Why reads of this kind are refused now, or null when they are served. */
    @Nullable
    String notReady(String kind) {
        SharedIndexInformer<? extends HasMetadata> informer = informers.get(kind);
        if (closed) {
            return "the cluster cache is closed";
        }
        if (informer == null) {
            return "no informer for " + kind + " yet";
        }
        if (!informer.isRunning()) {
            return "the informer for " + kind + " has stopped";
        }
        if (!informer.hasSynced()) {
            return "the informer for " + kind + " has not synced yet";
        }
        if (informer.isWatching()) {
            notWatchingSince.remove(kind);
            return null;
        }
        // Recorded by the check (or the exception handler) when the watch went down; where neither
        // has run since, the loss is less than one check old, and now is near enough.
        long now = nanoTime.getAsLong();
        long since = notWatchingSince.computeIfAbsent(kind, ignored -> now);
        if (now - since > WATCH_GRACE.toNanos()) {
            return "the informer for " + kind + " has not been watching for more than " + WATCH_GRACE.toSeconds()
                    + " s";
        }
        return null;
    }

    /** Every cached object of the kind. */
    <T extends HasMetadata> List<T> list(String kind, Class<T> type) {
        return typed(store(kind).getStore().list(), type);
    }

    /** The cached objects of the kind in one namespace. */
    <T extends HasMetadata> List<T> list(String kind, String namespace, Class<T> type) {
        return typed(store(kind).getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace), type);
    }

    private SharedIndexInformer<? extends HasMetadata> store(String kind) {
        String reason = notReady(kind);
        if (reason != null) {
            throw KubernetesFailure.ofCacheNotReady("read " + kind + "s from the cluster cache: " + reason);
        }
        return informers.get(kind);
    }

    private static <T extends HasMetadata> List<T> typed(List<?> objects, Class<T> type) {
        List<T> typed = new ArrayList<>(objects.size());
        for (Object object : objects) {
            typed.add(type.cast(object));
        }
        return typed;
    }

    /** What the executor expects the cache to show after one of its writes. */
    sealed interface Expectation {

        ObjectRef ref();

        /** The object at this resourceVersion or a later one. */
        record Seen(ObjectRef ref, String resourceVersion) implements Expectation {}

        /** No object of that uid (the executor deleted it). */
        record Gone(ObjectRef ref, String uid) implements Expectation {}
    }

    /** How waiting for the executor's writes ended. */
    enum Wait {
        SEEN,
        TIMED_OUT,
        /** A resourceVersion is not a number: no order can be told, so the cache cannot be judged. */
        UNCOMPARABLE,
        /** An informer needed is not synced, stopped, or not watching. */
        NOT_READY
    }

    /**
     * Waits, up to {@code timeout}, until the cache shows every expectation: each written object at
     * its resourceVersion or a later one, each deleted one gone.
     *
     * <p>Kubernetes calls resourceVersions opaque; but an etcd-backed server (every conformant one,
     * 1.20 included) uses the etcd revision at which the object was last written, a number that only
     * grows across the whole store, and a watch delivers an object's changes in that order. So a
     * cached object whose resourceVersion is numerically at least the one a write returned has seen
     * that write. Where either does not parse as a number, no order can be told and the caller reads
     * directly instead.
     */
    Wait awaitSeen(List<Expectation> expectations, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changes) {
            while (true) {
                Wait now = check(expectations);
                if (now != Wait.TIMED_OUT) {
                    return now;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return Wait.TIMED_OUT;
                }
                try {
                    // Woken by every informer event; the bound is only a safety net for readiness changes.
                    changes.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 50)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KubernetesFailure(KubernetesFailure.Reason.TRANSIENT, "interrupted", e);
                }
            }
        }
    }

    /** SEEN when all are met, TIMED_OUT when some are not yet, else why the cache cannot tell. */
    private Wait check(List<Expectation> expectations) {
        boolean all = true;
        for (Expectation expectation : expectations) {
            String kind = expectation.ref().kind();
            if (!holds(kind)) {
                continue;
            }
            if (notReady(kind) != null) {
                return Wait.NOT_READY;
            }
            HasMetadata cached = informers.get(kind).getStore().getByKey(key(expectation.ref()));
            switch (expectation) {
                case Expectation.Seen seen -> {
                    Long wanted = number(seen.resourceVersion());
                    if (wanted == null) {
                        return Wait.UNCOMPARABLE;
                    }
                    if (cached == null) {
                        all = false;
                        continue;
                    }
                    Long held = number(cached.getMetadata().getResourceVersion());
                    if (held == null) {
                        return Wait.UNCOMPARABLE;
                    }
                    all &= held >= wanted;
                }
                case Expectation.Gone gone ->
                    all &= cached == null
                            || !gone.uid().equals(cached.getMetadata().getUid());
            }
        }
        return all ? Wait.SEEN : Wait.TIMED_OUT;
    }

    private static @Nullable Long number(@Nullable String resourceVersion) {
        if (resourceVersion == null) {
            return null;
        }
        try {
            return Long.parseLong(resourceVersion);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String key(ObjectRef ref) {
        return ref.namespace() == null || ref.namespace().isEmpty() ? ref.name() : ref.namespace() + "/" + ref.name();
    }

    private void changed() {
        synchronized (changes) {
            changes.notifyAll();
        }
    }

    /** Puts a stand-in informer in place of one kind's: for unit tests of the watch grace. */
    void track(String kind, SharedIndexInformer<? extends HasMetadata> informer) {
        informers.put(kind, informer);
    }

    /** Stops one kind's informer, as a failing one would end: for tests of the fallbacks. */
    void stopInformer(String kind) {
        SharedIndexInformer<? extends HasMetadata> informer = informers.get(kind);
        if (informer != null) {
            informer.stop();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        background.shutdownNow();
        informers.values().forEach(SharedIndexInformer::stop);
        informers.clear();
        changed();
    }

    private static Map<String, ResourceDefinitionContext> optionalKinds() {
        Map<String, ResourceDefinitionContext> kinds = new LinkedHashMap<>();
        for (ResourceDefinitionContext kind : List.of(
                Kinds.CLUSTER_NETWORK_POLICY,
                Kinds.ADMIN_NETWORK_POLICY,
                Kinds.BASELINE_ADMIN_NETWORK_POLICY,
                Kinds.CILIUM_NETWORK_POLICY,
                Kinds.CILIUM_CLUSTERWIDE_NETWORK_POLICY)) {
            kinds.put(kind.getKind(), kind);
        }
        return java.util.Collections.unmodifiableMap(kinds);
    }
}
