package dev.stanch.workflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stanch.action.ActionPlan;
import dev.stanch.detection.Detection;
import dev.stanch.detection.Severity;
import dev.stanch.detection.Source;
import dev.stanch.detection.Target;
import dev.stanch.guardrail.Admit;
import dev.stanch.guardrail.Guardrails;
import dev.stanch.guardrail.Rule;
import dev.stanch.kubernetes.ActionExecutor;
import dev.stanch.kubernetes.ClusterFixtures;
import dev.stanch.kubernetes.ClusterReader;
import dev.stanch.kubernetes.KubeApiServer;
import dev.stanch.kubernetes.KubeApiServerExtension;
import dev.stanch.kubernetes.StanchIdentity;
import dev.stanch.ledger.Action;
import dev.stanch.ledger.ActionQuery;
import dev.stanch.ledger.ActionStatus;
import dev.stanch.ledger.AuditEntry;
import dev.stanch.ledger.Ledger;
import dev.stanch.ledger.LedgerPostgres;
import dev.stanch.ledger.LedgerPostgresExtension;
import dev.stanch.ledger.MutableClock;
import dev.stanch.ledger.Transition;
import dev.stanch.ledger.TransitionConflict;
import dev.stanch.playbook.PlaybookEngine;
import dev.stanch.playbook.PlaybookLoader;
import dev.stanch.playbook.PlaybookSet;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The workflow end to end on a real PostgreSQL and a real kube-apiserver, acting as the chart's
 * role: detection → plan → guardrails → approval → apply → verify → expiry → rollback, with runners
 * racing and crashing. Time is a hand-moved clock; nothing sleeps.
 */
@ExtendWith({LedgerPostgresExtension.class, KubeApiServerExtension.class})
class WorkflowIT {

    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
    private static final Duration LEASE = Duration.ofMinutes(2);
    private static final String RULE = "Terminal shell in container";

    /** Each test's pods get addresses of their own: a deleted namespace's pods linger a while. */
    private static final AtomicInteger SUBNETS = new AtomicInteger();

    private final String net = "10.200." + SUBNETS.incrementAndGet() + ".";
    private final KubernetesClient admin;
    private final KubernetesClient stanch;
    private final String namespace;
    private final DataSource database;
    private final MutableClock clock = new MutableClock(T0);
    private final Ledger ledger;
    private final ActionExecutor executor;
    private final AtomicInteger detections = new AtomicInteger();

    WorkflowIT(KubeApiServer kube, LedgerPostgres postgres) {
        this.admin = kube.admin();
        this.stanch = StanchIdentity.of(kube).client();
        this.namespace = kube.createNamespace("shop");
        // A database per test: a runner claims whatever is due in it, and no test should do another's work.
        this.database = postgres.newDatabase();
        this.ledger = new Ledger(database, clock);
        this.executor = new ActionExecutor(stanch);
    }

    @AfterEach
    void deleteNamespace() {
        admin.namespaces().withName(namespace).delete();
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void aDetectionIsApprovedAppliedAndRolledBackAtExpiry() {
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        Map<String, Object> before = fingerprint();
        Intake intake = intake(stage("approval: required", "approvalTimeout: 30m", "expireAfter: 1h"));
        Detection detection = detection("web-1");

        Intake.Result first = intake.accept(detection);
        assertThat(first).isInstanceOf(Intake.Result.Acted.class);
        Action action = ((Intake.Result.Acted) first).action();
        assertThat(action.status()).isEqualTo(ActionStatus.PENDING_APPROVAL);
        assertThat(action.approvalDeadline()).isEqualTo(T0.plus(Duration.ofMinutes(30)));
        // The same detection again (a redelivery): stored once, one action.
        assertThat(intake.accept(detection)).isEqualTo(new Intake.Result.Duplicate(detection.id()));
        assertThat(ledger.list(new ActionQuery(Set.of(), null, null, null, null, null, 10, null))
                        .actions())
                .extracting(Action::id)
                .containsExactly(action.id());
        assertThat(fingerprint()).as("nothing changes before approval").isEqualTo(before);

        Runner runner = runner(executor);
        assertThat(runner.runDue("runner-1"))
                .as("pending, before its deadline: not due")
                .isEmpty();
        Responder responder = new Responder(ledger);
        // The requester is Stanch itself, whose names no person may use (the ledger refuses a
        // self-approval besides: LedgerTransitionsIT).
        assertThatThrownBy(() -> responder.approve(action.id(), Intake.REQUESTER, "my own"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("actor stanch:playbooks is not a person");
        responder.approve(action.id(), "alice", "the shell is not ours");

        ActionPlan plan = ledger.plan(action.id()).orElseThrow();
        List<Work> applied = runner.runDue("runner-1");
        assertThat(applied).hasSize(1);
        Work.Moved moved = (Work.Moved) applied.getFirst();
        assertThat(moved.from()).isEqualTo(ActionStatus.APPROVED);
        assertThat(moved.to()).isEqualTo(ActionStatus.APPLIED);
        assertThat(moved.changed()).hasSize(plan.steps().size());
        assertThat(pod("web-1").getMetadata().getLabels()).containsEntry("stanch.dev/quarantine", plan.actionId());
        assertThat(executor.verify(plan)).isEmpty();
        Action appliedAction = ledger.action(action.id());
        assertThat(appliedAction.expiresAt()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(runner.runDue("runner-1"))
                .as("applied, before expiry: not due")
                .isEmpty();

        clock.advance(Duration.ofHours(1));
        List<Work> expired = runner.runDue("runner-1");
        assertThat(expired).hasSize(1);
        Work.Moved rolledBack = (Work.Moved) expired.getFirst();
        assertThat(rolledBack.from()).isEqualTo(ActionStatus.APPLIED);
        assertThat(rolledBack.to()).isEqualTo(ActionStatus.ROLLED_BACK);
        assertThat(rolledBack.changed()).hasSize(plan.undo().size());
        assertThat(fingerprint()).as("the cluster as before").isEqualTo(before);
        assertThat(executor.leftovers(plan.actionId())).isEmpty();

        assertThat(trail(action.id()))
                .containsExactly(
                        ActionStatus.PLANNED,
                        ActionStatus.PENDING_APPROVAL,
                        ActionStatus.APPROVED,
                        ActionStatus.APPLYING,
                        ActionStatus.APPLIED,
                        ActionStatus.ROLLING_BACK,
                        ActionStatus.ROLLED_BACK);
        List<AuditEntry> entries = ledger.find(action.id()).orElseThrow().trail();
        assertThat(entries.get(2).actor()).isEqualTo("alice");
        assertThat(entries.get(3).actor()).isEqualTo(Runner.ACTOR);
        assertThat(entries.get(5).reason()).startsWith("expired at " + T0.plus(Duration.ofHours(1)));
        assertThat(ledger.verify().intact()).isTrue();
    }

    @Test
    void nobodysAnswerExpiresThePendingActionAndChangesNothing() {
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        Map<String, Object> before = fingerprint();
        Action action = acted(intake(stage("approval: required", "approvalTimeout: 30m", "onApprovalTimeout: reject"))
                .accept(detection("web-1")));
        Runner runner = runner(executor);

        clock.advance(Duration.ofMinutes(29));
        assertThat(runner.runDue("runner-1")).isEmpty();
        clock.advance(Duration.ofMinutes(1));
        List<Work> work = runner.runDue("runner-1");

        assertThat(work).hasSize(1);
        Work.Moved moved = (Work.Moved) work.getFirst();
        assertThat(moved.to()).isEqualTo(ActionStatus.EXPIRED);
        Action expired = ledger.action(action.id());
        assertThat(expired.status()).isEqualTo(ActionStatus.EXPIRED);
        assertThat(expired.decidedBy()).isEqualTo(Runner.APPROVAL_TIMEOUT);
        assertThat(expired.decisionReason()).contains("onApprovalTimeout: reject");
        assertThat(fingerprint()).isEqualTo(before);
        assertThatThrownBy(() -> new Responder(ledger).approve(action.id(), "alice", "too late"))
                .isInstanceOf(TransitionConflict.class);
    }

    @Test
    void aPersonsRejectionIsFinalAndChangesNothing() {
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        Map<String, Object> before = fingerprint();
        Action action = acted(
                intake(stage("approval: required", "approvalTimeout: 30m")).accept(detection("web-1")));

        Action rejected = new Responder(ledger)
                .reject(action.id(), "bob", "a debugging session")
                .action();

        assertThat(rejected.status()).isEqualTo(ActionStatus.REJECTED);
        assertThat(rejected.decidedBy()).isEqualTo("bob");
        assertThat(rejected.decisionReason()).isEqualTo("a debugging session");
        clock.advance(Duration.ofHours(1));
        assertThat(runner(executor).runDue("runner-1")).isEmpty();
        assertThatThrownBy(() -> new Responder(ledger).rollback(action.id(), "bob", "undo"))
                .isInstanceOf(TransitionConflict.class)
                .hasMessageContaining("rejected is final");
        assertThat(fingerprint()).isEqualTo(before);
    }

    @Test
    void silenceApprovesOnlyWhenTheStageSaysSo() {
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        Action action = acted(intake(stage("approval: required", "approvalTimeout: 5m", "onApprovalTimeout: approve"))
                .accept(detection("web-1")));
        Runner runner = runner(executor);

        clock.advance(Duration.ofMinutes(5));
        Work.Moved approved = (Work.Moved) runner.runDue("runner-1").getFirst();
        assertThat(approved.to()).isEqualTo(ActionStatus.APPROVED);
        assertThat(approved.reason()).endsWith("onApprovalTimeout: approve — approved by silence");
        assertThat(ledger.action(action.id()).decidedBy()).isEqualTo(Runner.APPROVAL_TIMEOUT);
        Work.Moved applied = (Work.Moved) runner.runDue("runner-1").getFirst();
        assertThat(applied.to()).isEqualTo(ActionStatus.APPLIED);
    }

    @Test
    void aFailureThatIsNotTransientFailsTheActionWithItsReason() {
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        Action action = acted(
                intake(stage("approval: required", "approvalTimeout: 30m")).accept(detection("web-1")));
        new Responder(ledger).approve(action.id(), "alice", "go");
        // The pod goes away between the plan and its approval.
        admin.pods().inNamespace(namespace).withName("web-1").withGracePeriod(0).delete();

        Work.Moved moved = (Work.Moved) runner(executor).runDue("runner-1").getFirst();

        assertThat(moved.to()).isEqualTo(ActionStatus.FAILED);
        Action failed = ledger.action(action.id());
        assertThat(failed.failureReason()).isEqualTo("apply failed: Pod " + namespace + "/web-1 does not exist");
        assertThat(ledger.find(action.id()).orElseThrow().trail().getLast().details())
                .containsEntry("kubernetesFailure", "not_found");
        assertThat(runner(executor).runDue("runner-1"))
                .as("failed waits for a person")
                .isEmpty();
    }

    @Test
    void twoRunnersRacingApplyEachActionOnce() throws Exception {
        Intake intake = intake(stage("approval: auto"));
        List<UUID> ids = new ArrayList<>();
        int steps = 0;
        for (int i = 1; i <= 6; i++) {
            ClusterFixtures.runningPod(admin, namespace, "web-" + i, net + (10 + i), Map.of("app", "web"));
            Action action = acted(intake.accept(detection("web-" + i)));
            assertThat(action.status()).isEqualTo(ActionStatus.APPROVED);
            ids.add(action.id());
            steps += ledger.plan(action.id()).orElseThrow().steps().size();
        }
        // Each runner has a ledger of its own, as two instances would; small batches make them meet often.
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        List<Future<List<Work>>> runs = new ArrayList<>();
        for (String owner : List.of("instance-a", "instance-b")) {
            Runner runner = new Runner(new Ledger(database, clock), executor, LEASE, 1);
            runs.add(threads.submit(() -> {
                start.await();
                List<Work> all = new ArrayList<>();
                List<Work> round;
                while (!(round = runner.runDue(owner)).isEmpty()) {
                    all.addAll(round);
                }
                return all;
            }));
        }
        List<Work> work = new ArrayList<>();
        for (Future<List<Work>> run : runs) {
            work.addAll(run.get());
        }
        threads.shutdown();

        assertThat(work).hasSize(ids.size()).allSatisfy(w -> assertThat(w).isInstanceOf(Work.Moved.class));
        assertThat(work).extracting(Work::actionId).containsExactlyInAnyOrderElementsOf(ids);
        // Every step changed the cluster exactly once, over both runners.
        List<String> changed =
                work.stream().flatMap(w -> ((Work.Moved) w).changed().stream()).toList();
        assertThat(changed).hasSize(steps).doesNotHaveDuplicates();
        for (UUID id : ids) {
            assertThat(ledger.action(id).status()).isEqualTo(ActionStatus.APPLIED);
            assertThat(trail(id)).containsOnlyOnce(ActionStatus.APPLYING);
        }
    }

    @Test
    void anActionLeftApplyingWithNothingAppliedIsFinishedByTheNextRun() {
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        Action action = acted(intake(stage("approval: auto")).accept(detection("web-1")));
        ActionPlan plan = ledger.plan(action.id()).orElseThrow();
        crashAfterIntent(action);
        Runner runner = runner(executor);
        assertThat(runner.runDue("survivor"))
                .as("the crashed runner's lease still holds")
                .isEmpty();

        clock.advance(LEASE);
        List<Work> work = runner.runDue("survivor");

        assertThat(work).hasSize(1);
        Work.Moved moved = (Work.Moved) work.getFirst();
        assertThat(moved.from()).isEqualTo(ActionStatus.APPLYING);
        assertThat(moved.to()).isEqualTo(ActionStatus.APPLIED);
        assertThat(moved.changed()).hasSize(plan.steps().size());
        assertThat(executor.verify(plan)).isEmpty();
        assertThat(trail(action.id())).containsOnlyOnce(ActionStatus.APPLYING);
    }

    @Test
    void anActionLeftHalfAppliedIsFinishedWithoutApplyingAnyStepTwice() {
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        Map<String, Object> before = fingerprint();
        Action action =
                acted(intake(stage("approval: auto", "expireAfter: 10m")).accept(detection("web-1")));
        ActionPlan plan = ledger.plan(action.id()).orElseThrow();
        assertThat(plan.steps()).hasSizeGreaterThan(1);
        crashAfterIntent(action);
        // The crashed runner got through its first step only.
        assertThat(executor.apply(firstStepOf(plan)).changed()).hasSize(1);

        clock.advance(LEASE);
        Work.Moved moved = (Work.Moved) runner(executor).runDue("survivor").getFirst();

        assertThat(moved.to()).isEqualTo(ActionStatus.APPLIED);
        assertThat(moved.changed()).hasSize(plan.steps().size() - 1);
        assertThat(executor.verify(plan)).isEmpty();
        // Then it expires and rolls back like any other.
        clock.advance(Duration.ofMinutes(10));
        Work.Moved rolledBack = (Work.Moved) runner(executor).runDue("survivor").getFirst();
        assertThat(rolledBack.to()).isEqualTo(ActionStatus.ROLLED_BACK);
        assertThat(fingerprint()).isEqualTo(before);
    }

    @Test
    void aRollbackLeftHalfwayIsFinishedByTheNextRun() {
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        Map<String, Object> before = fingerprint();
        Action action = acted(intake(stage("approval: auto")).accept(detection("web-1")));
        Runner runner = runner(executor);
        runner.runDue("runner-1");
        ActionPlan plan = ledger.plan(action.id()).orElseThrow();
        // A person asks for the rollback; a runner takes it, moves it and stops before any undo step.
        new Responder(ledger).rollback(action.id(), "alice", "false positive");
        assertThat(ledger.claim("crashed", Set.of(ActionStatus.ROLLING_BACK), LEASE, 1))
                .hasSize(1);
        assertThat(runner.runDue("survivor")).isEmpty();

        clock.advance(LEASE);
        Work.Moved moved = (Work.Moved) runner.runDue("survivor").getFirst();

        assertThat(moved.from()).isEqualTo(ActionStatus.ROLLING_BACK);
        assertThat(moved.to()).isEqualTo(ActionStatus.ROLLED_BACK);
        assertThat(moved.changed()).hasSize(plan.undo().size());
        assertThat(fingerprint()).isEqualTo(before);
        List<AuditEntry> entries = ledger.find(action.id()).orElseThrow().trail();
        assertThat(entries.get(entries.size() - 2).actor()).isEqualTo("alice");
        assertThat(entries.get(entries.size() - 2).reason()).isEqualTo("false positive");
    }

    @Test
    void aRefusedPlanIsBlockedWithThePlannersReason() {
        Intake.Result result = intake(stage("approval: auto")).accept(detection("no-such-pod"));

        Intake.Result.Acted acted = (Intake.Result.Acted) result;
        assertThat(acted.admit())
                .isInstanceOfSatisfying(
                        Admit.Blocked.class,
                        blocked -> assertThat(blocked.rule()).isEqualTo(Rule.REFUSED));
        Action action = ledger.action(acted.action().id());
        assertThat(action.status()).isEqualTo(ActionStatus.BLOCKED);
        assertThat(action.planned()).isFalse();
        assertThat(action.refusalMessage()).contains("no-such-pod");
        AuditEntry blocked = ledger.find(action.id()).orElseThrow().trail().getLast();
        assertThat(blocked.reason()).startsWith("the planner refused (not-found)");
        assertThat(blocked.details()).containsEntry("guardrail", "refused");
        assertThat(runner(executor).runDue("runner-1")).isEmpty();
    }

    @Test
    void theRateLimitCountsTheLedgersActions() {
        Guardrails oneAMinute = new Guardrails(null, null, null, null, 1, null, null, false);
        Intake intake =
                new Intake(ledger, playbooks(stage("approval: auto")), oneAMinute, new ClusterReader(stanch), clock);
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        ClusterFixtures.runningPod(admin, namespace, "web-2", net + "12", Map.of("app", "web"));

        assertThat(acted(intake.accept(detection("web-1"))).status()).isEqualTo(ActionStatus.APPROVED);
        Intake.Result.Acted second = (Intake.Result.Acted) intake.accept(detection("web-2"));
        assertThat(second.action().status()).isEqualTo(ActionStatus.BLOCKED);
        assertThat(second.admit().reason()).isEqualTo("rate limit: 1 action in the last minute (limit 1)");
        clock.advance(Duration.ofMinutes(1).plusNanos(1000));
        ClusterFixtures.runningPod(admin, namespace, "web-3", net + "13", Map.of("app", "web"));
        assertThat(acted(intake.accept(detection("web-3"))).status()).isEqualTo(ActionStatus.APPROVED);
    }

    @Test
    void transientFailuresAreRetriedWithBackoffThenFail() {
        ClusterFixtures.runningPod(admin, namespace, "web-1", net + "11", Map.of("app", "web"));
        ClusterFixtures.runningPod(admin, namespace, "web-2", net + "12", Map.of("app", "web"));
        Intake intake = intake(stage("approval: auto"));
        Action retried = acted(intake.accept(detection("web-1")));
        // An API server that does not answer: every call fails as transient.
        KubernetesClient unreachable = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder()
                        .withMasterUrl("https://127.0.0.1:1")
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build();
        Runner down = runner(new ActionExecutor(unreachable));

        Work.Deferred deferred = (Work.Deferred) down.runDue("runner-1").getFirst();
        assertThat(deferred.status()).isEqualTo(ActionStatus.APPLYING);
        assertThat(deferred.transientFailures()).isEqualTo(1);
        assertThat(deferred.retryIn()).isEqualTo(Duration.ofSeconds(30));
        assertThat(runner(executor).runDue("runner-2"))
                .as("not before the backoff")
                .isEmpty();
        clock.advance(Duration.ofSeconds(30));
        Work.Moved applied = (Work.Moved) runner(executor).runDue("runner-2").getFirst();
        assertThat(applied.to()).isEqualTo(ActionStatus.APPLIED);

        Action failing = acted(intake.accept(detection("web-2")));
        List<Duration> backoffs = new ArrayList<>();
        Work last = null;
        for (int i = 0; i < Runner.MAX_TRANSIENT_FAILURES; i++) {
            last = down.runDue("runner-1").getFirst();
            if (last instanceof Work.Deferred d) {
                backoffs.add(d.retryIn());
                clock.advance(d.retryIn());
            }
        }
        assertThat(backoffs)
                .containsExactly(
                        Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(4));
        assertThat(last)
                .isInstanceOfSatisfying(
                        Work.Moved.class, m -> assertThat(m.to()).isEqualTo(ActionStatus.FAILED));
        Action failed = ledger.action(failing.id());
        assertThat(failed.status()).isEqualTo(ActionStatus.FAILED);
        assertThat(failed.failureReason()).startsWith("apply failed 5 times in a row with transient errors");
        assertThat(retried.id()).isNotEqualTo(failing.id());
        unreachable.close();
    }

    // ---------------------------------------------------------------------------------------------

    /** A runner that claimed the approved action, committed the intent (applying) and stopped. */
    private void crashAfterIntent(Action action) {
        assertThat(ledger.claim("crashed", Set.of(ActionStatus.APPROVED), LEASE, 1))
                .extracting(Action::id)
                .containsExactly(action.id());
        ledger.transition(
                Transition.of(action.id(), ActionStatus.APPROVED, ActionStatus.APPLYING, Runner.ACTOR, "applying")
                        .underLease("crashed", LEASE));
    }

    private static ActionPlan firstStepOf(ActionPlan plan) {
        return new ActionPlan(
                plan.actionId(),
                plan.kind(),
                plan.target(),
                plan.params(),
                plan.summary(),
                plan.steps().subList(0, 1),
                plan.undo(),
                plan.preImages(),
                plan.reversibility(),
                plan.connectivityLost(),
                plan.connectivityRemaining(),
                plan.warnings());
    }

    private Intake intake(String stage) {
        return new Intake(ledger, playbooks(stage), Guardrails.defaults(), new ClusterReader(stanch), clock);
    }

    private Runner runner(ActionExecutor executor) {
        return new Runner(ledger, executor, LEASE, 10);
    }

    private static Action acted(Intake.Result result) {
        assertThat(result).isInstanceOf(Intake.Result.Acted.class);
        return ((Intake.Result.Acted) result).action();
    }

    private List<ActionStatus> trail(UUID id) {
        return ledger.find(id).orElseThrow().trail().stream()
                .map(AuditEntry::to)
                .toList();
    }

    /** One quarantine-pod stage for falco's terminal-shell rule, with these settings. */
    private static String stage(String... settings) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: stanch.dev/v1alpha1
                kind: Playbook
                metadata: {name: terminal-shell}
                spec:
                  match:
                    sources: [falco]
                    rules: ["%s"]
                    minSeverity: low
                  window: 1h
                  stages:
                    - name: isolate
                      after: 1
                      action: quarantine-pod
                """.formatted(RULE));
        for (String setting : settings) {
            yaml.append("      ").append(setting).append('\n');
        }
        return yaml.toString();
    }

    private static Supplier<PlaybookEngine> playbooks(String yaml) {
        PlaybookSet set = new PlaybookLoader().parse("test.yaml", yaml);
        assertThat(set.errors()).isEmpty(); // approving by silence is only warned about
        PlaybookEngine engine = new PlaybookEngine(set.playbooks());
        return () -> engine;
    }

    private Detection detection(String pod) {
        return new Detection(
                "falco-" + namespace + "-" + detections.incrementAndGet(),
                Source.FALCO,
                RULE,
                Severity.HIGH,
                clock.instant(),
                new Target(namespace, pod, "main"),
                null,
                Map.of("proc.name", "bash"));
    }

    private Pod pod(String name) {
        return admin.pods().inNamespace(namespace).withName(name).get();
    }

    /** What a rollback must leave exactly as before: the namespace's pods and policies. */
    private Map<String, Object> fingerprint() {
        Map<String, Object> state = new TreeMap<>();
        List<HasMetadata> objects = new ArrayList<>();
        objects.addAll(admin.pods().inNamespace(namespace).list().getItems());
        objects.addAll(admin.network()
                .v1()
                .networkPolicies()
                .inNamespace(namespace)
                .list()
                .getItems());
        for (HasMetadata object : objects) {
            Map<?, ?> content = admin.getKubernetesSerialization().convertValue(object, Map.class);
            state.put(
                    object.getKind() + " " + object.getMetadata().getName(),
                    List.of(
                            String.valueOf(object.getMetadata().getUid()),
                            String.valueOf(
                                    new TreeMap<>(orEmpty(object.getMetadata().getLabels()))),
                            String.valueOf(
                                    new TreeMap<>(orEmpty(object.getMetadata().getAnnotations()))),
                            String.valueOf(content.get("spec"))));
        }
        return state;
    }

    private static Map<String, String> orEmpty(Map<String, String> map) {
        return map == null ? Map.of() : map;
    }
}
