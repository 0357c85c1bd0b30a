package dev.stanch.guardrail;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stanch.action.ActionPlan;
import dev.stanch.action.ObjectRef;
import dev.stanch.action.Planning;
import dev.stanch.action.Refusal;
import dev.stanch.action.Reversibility;
import dev.stanch.action.Step;
import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The gate's rules, each alone, then several at once (the first in order wins), with their numbers. */
class GuardrailRulesTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final Target WEB = new Target("shop", "web-7d9f-aaaaa", "app");
    private static final Pause PAUSE =
            new Pause("alice@example.com", Instant.parse("2026-11-22T09:55:00Z"), "incident 4711");
    private static final Gate DEFAULTS = new Gate(Guardrails.defaults());

    // ------------------------------------------------------------------ each rule alone

    @Test
    void aQuietClusterApprovesAnAutomaticStage() {
        Admit admit = DEFAULTS.admit(auto(WEB), planned(WEB), new FakeActivity(), NOW);

        assertThat(admit)
                .isEqualTo(new Admit.Approved(
                        "approved: no guardrail applies and stage cut-connection of playbook outbound-c2 needs no"
                                + " approval"));
    }

    @Test
    void aRefusedPlanIsBlockedWithThePlannersReasonAndNothingIsAsked() {
        FakeActivity activity = new FakeActivity().paused(PAUSE);

        Admit admit = DEFAULTS.admit(
                auto(WEB),
                new Planning.Refused(Refusal.NOT_FOUND, "pod shop/web-7d9f-aaaaa does not exist"),
                activity,
                NOW);

        assertThat(admit)
                .isEqualTo(new Admit.Blocked(
                        Rule.REFUSED, "the planner refused (not-found): pod shop/web-7d9f-aaaaa does not exist"));
        assertThat(activity.asked).isEmpty();
    }

    @Test
    void whilePausedEverythingIsBlockedWithWhoWhenAndWhy() {
        FakeActivity activity = new FakeActivity().paused(PAUSE);

        Admit admit = DEFAULTS.admit(auto(WEB), planned(WEB), activity, NOW);

        assertThat(admit)
                .isEqualTo(new Admit.Blocked(
                        Rule.PAUSED, "paused by alice@example.com at 2026-11-22T09:55:00Z: incident 4711"));
        assertThat(activity.asked).containsExactly("pause");
    }

    @Test
    void kubernetesOwnNamespacesAndStanchsAreProtectedByDefault() {
        for (String namespace : List.of("kube-system", "kube-public", "kube-node-lease", "stanch")) {
            Target target = new Target(namespace, "some-pod", null);

            Admit admit = DEFAULTS.admit(auto(target), planned(target), new FakeActivity(), NOW);

            assertThat(admit)
                    .as(namespace)
                    .isEqualTo(new Admit.Blocked(
                            Rule.PROTECTED_NAMESPACE,
                            "protected namespace: " + namespace + " is protected: Stanch does not act on its pods"));
        }
    }

    @Test
    void configuredProtectionReplacesKubernetesOwnButNeverStanchs() {
        Gate gate = new Gate(guardrails(Set.of("payments"), null, null, null, false));

        assertThat(gate.admit(auto(at("payments")), planned(at("payments")), new FakeActivity(), NOW))
                .isInstanceOf(Admit.Blocked.class);
        assertThat(gate.admit(auto(at("stanch")), planned(at("stanch")), new FakeActivity(), NOW))
                .isInstanceOf(Admit.Blocked.class);
        assertThat(gate.admit(auto(at("kube-system")), planned(at("kube-system")), new FakeActivity(), NOW))
                .as("the configured list replaces the default one")
                .isInstanceOf(Admit.Approved.class);
    }

    @Test
    void aPlanMadeWithAnotherSafetyThatLabelsAPodInAProtectedNamespaceIsBlocked() {
        ObjectRef peer = ObjectRef.pod("kube-system", "coredns-5d78c9869d-abcde");
        Planning plan = planned(
                WEB,
                Step.Relabel.labels(ObjectRef.pod("shop", WEB.pod()), Map.of("stanch.dev/block", "a1"), Set.of()),
                Step.Relabel.labels(peer, Map.of("stanch.dev/peer-a1", "true"), Set.of()));

        Admit admit = DEFAULTS.admit(auto(WEB), plan, new FakeActivity(), NOW);

        assertThat(admit)
                .isEqualTo(new Admit.Blocked(
                        Rule.PROTECTED_NAMESPACE,
                        "protected namespace: the plan changes Pod kube-system/coredns-5d78c9869d-abcde in"
                                + " protected namespace kube-system"));
    }

    @Test
    void protectionIsAboutPodsNotTheBindingsThatNameACompromisedAccount() {
        // revoke-token takes the target's ServiceAccount out of every binding that names it, wherever
        // the binding lives: that changes what the account may do, not a pod of kube-system.
        ObjectRef binding = new ObjectRef("rbac.authorization.k8s.io/v1", "RoleBinding", "kube-system", "reader");
        Planning plan = planned(
                WEB,
                new Step.RemoveSubjects(
                        binding,
                        List.of(new SubjectBuilder()
                                .withKind("ServiceAccount")
                                .withName("web")
                                .withNamespace("shop")
                                .build())));

        assertThat(DEFAULTS.admit(auto(WEB), plan, new FakeActivity(), NOW)).isInstanceOf(Admit.Approved.class);
    }

    @Test
    void theGlobalRateAdmitsTheLastActionBelowTheLimitAndBlocksAtIt() {
        FakeActivity below = new FakeActivity().started("elsewhere", NOW.minusSeconds(10), 29);
        FakeActivity at = new FakeActivity().started("elsewhere", NOW.minusSeconds(10), 30);

        assertThat(DEFAULTS.admit(auto(WEB), planned(WEB), below, NOW)).isInstanceOf(Admit.Approved.class);
        assertThat(DEFAULTS.admit(auto(WEB), planned(WEB), at, NOW))
                .isEqualTo(new Admit.Blocked(Rule.RATE_LIMIT, "rate limit: 30 actions in the last minute (limit 30)"));
    }

    @Test
    void theRateWindowIsTheLastMinuteWithItsFirstInstantIncluded() {
        Gate oneAMinute = new Gate(guardrails(null, 1, null, null, false));
        FakeActivity aMinuteAgo = new FakeActivity().started("shop", NOW.minus(Duration.ofMinutes(1)), 1);
        FakeActivity justBefore = new FakeActivity()
                .started("shop", NOW.minus(Duration.ofMinutes(1)).minusNanos(1000), 1);

        assertThat(oneAMinute.admit(auto(WEB), planned(WEB), aMinuteAgo, NOW))
                .isEqualTo(new Admit.Blocked(Rule.RATE_LIMIT, "rate limit: 1 action in the last minute (limit 1)"));
        assertThat(aMinuteAgo.asked).containsExactly("pause", "started since 2026-11-22T09:59:00Z");
        assertThat(oneAMinute.admit(auto(WEB), planned(WEB), justBefore, NOW)).isInstanceOf(Admit.Approved.class);
    }

    @Test
    void theNamespaceRateCountsOnlyTheTargetsNamespace() {
        FakeActivity busyElsewhere = new FakeActivity().started("batch", NOW.minusSeconds(5), 25);
        FakeActivity belowInShop = new FakeActivity().started("shop", NOW.minusSeconds(5), 9);
        FakeActivity atInShop = new FakeActivity().started("shop", NOW.minusSeconds(5), 10);

        assertThat(DEFAULTS.admit(auto(WEB), planned(WEB), busyElsewhere, NOW)).isInstanceOf(Admit.Approved.class);
        assertThat(DEFAULTS.admit(auto(WEB), planned(WEB), belowInShop, NOW)).isInstanceOf(Admit.Approved.class);
        assertThat(DEFAULTS.admit(auto(WEB), planned(WEB), atInShop, NOW))
                .isEqualTo(new Admit.Blocked(
                        Rule.NAMESPACE_RATE_LIMIT,
                        "rate limit in namespace shop: 10 actions in the last minute (limit 10)"));
    }

    @Test
    void theActiveCapAdmitsTheLastActionBelowItAndBlocksAtIt() {
        assertThat(DEFAULTS.admit(auto(WEB), planned(WEB), new FakeActivity().active(99), NOW))
                .isInstanceOf(Admit.Approved.class);
        assertThat(DEFAULTS.admit(auto(WEB), planned(WEB), new FakeActivity().active(100), NOW))
                .isEqualTo(new Admit.Blocked(Rule.ACTIVE_CAP, "active-action cap: 100 actions active (limit 100)"));
    }

    @Test
    void aRequiredApprovalWaitsForTheTimeoutThenRejects() {
        Admit admit = DEFAULTS.admit(
                request(WEB, Approval.REQUIRED, Duration.ofMinutes(15), OnApprovalTimeout.REJECT, false),
                planned(WEB),
                new FakeActivity(),
                NOW);

        assertThat(admit)
                .isEqualTo(new Admit.PendingApproval(
                        Duration.ofMinutes(15),
                        OnApprovalTimeout.REJECT,
                        "waiting for approval, as stage cut-connection of playbook outbound-c2 requires, for 15m"
                                + " (approvalTimeout); then rejected (onApprovalTimeout: reject)"));
    }

    @Test
    void approvalBySilenceIsCarriedAndSaidSo() {
        Admit admit = DEFAULTS.admit(
                request(WEB, Approval.REQUIRED, Duration.ofMinutes(90), OnApprovalTimeout.APPROVE, false),
                planned(WEB),
                new FakeActivity(),
                NOW);

        assertThat(admit).isInstanceOfSatisfying(Admit.PendingApproval.class, pending -> {
            assertThat(pending.approvalTimeout()).isEqualTo(Duration.ofMinutes(90));
            assertThat(pending.onTimeout()).isEqualTo(OnApprovalTimeout.APPROVE);
            assertThat(pending.reason())
                    .endsWith("for 1h30m (approvalTimeout); then approved by silence (onApprovalTimeout: approve)");
        });
    }

    @Test
    void aRequiredApprovalWithoutTimeoutWaitsForAPerson() {
        Admit admit = DEFAULTS.admit(
                request(WEB, Approval.REQUIRED, null, OnApprovalTimeout.REJECT, false),
                planned(WEB),
                new FakeActivity(),
                NOW);

        assertThat(admit)
                .isEqualTo(new Admit.PendingApproval(
                        null,
                        OnApprovalTimeout.REJECT,
                        "waiting for approval, as stage cut-connection of playbook outbound-c2 requires, with no"
                                + " deadline"));
    }

    @Test
    void thePlaybooksDryRunRecordsThePlanAndSaysWhatWouldHaveHappened() {
        Admit admit = DEFAULTS.admit(
                request(WEB, Approval.AUTO, null, OnApprovalTimeout.REJECT, true),
                planned(WEB),
                new FakeActivity(),
                NOW);

        assertThat(admit)
                .isEqualTo(new Admit.DryRun(
                        "dry run (playbook outbound-c2 is in dry-run): the plan is recorded, nothing changes;"
                                + " otherwise approved: no guardrail applies and stage cut-connection of playbook"
                                + " outbound-c2 needs no approval"));
    }

    @Test
    void dryRunWinsOverApprovalSoThatNobodyIsAskedToApproveANoOp() {
        Gate globalDryRun = new Gate(guardrails(null, null, null, null, true));

        Admit admit = globalDryRun.admit(
                request(WEB, Approval.REQUIRED, Duration.ofMinutes(15), OnApprovalTimeout.REJECT, true),
                planned(WEB),
                new FakeActivity(),
                NOW);

        assertThat(admit)
                .isEqualTo(new Admit.DryRun(
                        "dry run (global dry-run is on; playbook outbound-c2 is in dry-run): the plan is recorded,"
                                + " nothing changes; otherwise waiting for approval, as stage cut-connection of"
                                + " playbook outbound-c2 requires, for 15m (approvalTimeout); then rejected"
                                + " (onApprovalTimeout: reject)"));
    }

    // ------------------------------------------------------------------ several at once

    @Test
    void whenEveryRuleAppliesEachOneDecidesOnlyOnceTheOnesBeforeItAreLifted() {
        Target kubeSystem = at("kube-system");
        ActionRequest dryRunApproval =
                request(kubeSystem, Approval.REQUIRED, Duration.ofMinutes(15), OnApprovalTimeout.REJECT, true);
        Gate gate = new Gate(guardrails(null, 5, 3, 7, true));
        // Every limit reached, in the target's namespace too (kube-system, then shop).
        FakeActivity busy = new FakeActivity()
                .paused(PAUSE)
                .started("kube-system", NOW.minusSeconds(1), 5)
                .started("shop", NOW.minusSeconds(1), 3)
                .active(7);
        Planning refused = new Planning.Refused(Refusal.PROTECTED, "namespace kube-system is protected");

        assertThat(gate.admit(dryRunApproval, refused, busy, NOW))
                .extracting(GuardrailRulesTest::ruleOf)
                .isEqualTo("refused");
        assertThat(gate.admit(dryRunApproval, planned(kubeSystem), busy, NOW))
                .extracting(GuardrailRulesTest::ruleOf)
                .isEqualTo("paused");
        busy.paused(null);
        assertThat(gate.admit(dryRunApproval, planned(kubeSystem), busy, NOW))
                .extracting(GuardrailRulesTest::ruleOf)
                .isEqualTo("protected-namespace");
        ActionRequest inShop = request(WEB, Approval.REQUIRED, Duration.ofMinutes(15), OnApprovalTimeout.REJECT, true);
        assertThat(gate.admit(inShop, planned(WEB), busy, NOW))
                .isEqualTo(new Admit.Blocked(Rule.RATE_LIMIT, "rate limit: 8 actions in the last minute (limit 5)"));
        busy.forget("kube-system");
        assertThat(gate.admit(inShop, planned(WEB), busy, NOW))
                .isEqualTo(new Admit.Blocked(
                        Rule.NAMESPACE_RATE_LIMIT,
                        "rate limit in namespace shop: 3 actions in the last minute (limit 3)"));
        busy.forget("shop");
        assertThat(gate.admit(inShop, planned(WEB), busy, NOW))
                .isEqualTo(new Admit.Blocked(Rule.ACTIVE_CAP, "active-action cap: 7 actions active (limit 7)"));
        busy.active(6);
        assertThat(gate.admit(inShop, planned(WEB), busy, NOW))
                .extracting(GuardrailRulesTest::ruleOf)
                .isEqualTo("dry-run");
        assertThat(new Gate(guardrails(null, 5, 3, 7, false))
                        .admit(
                                request(
                                        WEB,
                                        Approval.REQUIRED,
                                        Duration.ofMinutes(15),
                                        OnApprovalTimeout.REJECT,
                                        false),
                                planned(WEB),
                                busy,
                                NOW))
                .extracting(GuardrailRulesTest::ruleOf)
                .isEqualTo("pending-approval");
    }

    @Test
    void aDryRunIsBlockedLikeTheRealActionWouldBe() {
        Admit admit = DEFAULTS.admit(
                request(WEB, Approval.AUTO, null, OnApprovalTimeout.REJECT, true),
                planned(WEB),
                new FakeActivity().started("shop", NOW.minusSeconds(30), 10),
                NOW);

        assertThat(admit)
                .isEqualTo(new Admit.Blocked(
                        Rule.NAMESPACE_RATE_LIMIT,
                        "rate limit in namespace shop: 10 actions in the last minute (limit 10)"));
    }

    @Test
    void theGateAsksOnlyWhatTheRulesItReachesNeed() {
        FakeActivity quiet = new FakeActivity();
        DEFAULTS.admit(auto(WEB), planned(WEB), quiet, NOW);
        assertThat(quiet.asked)
                .containsExactly(
                        "pause",
                        "started since 2026-11-22T09:59:00Z",
                        "started in shop since 2026-11-22T09:59:00Z",
                        "active");

        FakeActivity protectedTarget = new FakeActivity();
        DEFAULTS.admit(auto(at("kube-system")), planned(at("kube-system")), protectedTarget, NOW);
        assertThat(protectedTarget.asked).containsExactly("pause");
    }

    // ------------------------------------------------------------------ fixtures

    private static String ruleOf(Admit admit) {
        return switch (admit) {
            case Admit.Blocked blocked -> blocked.rule().wireName();
            case Admit.DryRun dryRun -> "dry-run";
            case Admit.PendingApproval pending -> "pending-approval";
            case Admit.Approved approved -> "approved";
        };
    }

    private static Guardrails guardrails(
            @Nullable Set<String> protectedNamespaces,
            @Nullable Integer perMinute,
            @Nullable Integer perMinutePerNamespace,
            @Nullable Integer maxActive,
            boolean dryRun) {
        return new Guardrails(
                protectedNamespaces, null, null, null, perMinute, perMinutePerNamespace, maxActive, dryRun);
    }

    private static Target at(String namespace) {
        return new Target(namespace, "some-pod", null);
    }

    private static ActionRequest auto(Target target) {
        return request(target, Approval.AUTO, null, OnApprovalTimeout.REJECT, false);
    }

    private static ActionRequest request(
            Target target,
            Approval approval,
            @Nullable Duration approvalTimeout,
            OnApprovalTimeout onTimeout,
            boolean dryRun) {
        return new ActionRequest(
                "outbound-c2",
                "cut-connection",
                1,
                ActionKind.BLOCK_CONNECTION,
                target,
                Map.of("peerIp", "203.0.113.7"),
                approval,
                approvalTimeout,
                onTimeout,
                Duration.ofHours(4),
                dryRun);
    }

    private static Planning planned(Target target, Step... steps) {
        return new Planning.Planned(new ActionPlan(
                "a1",
                ActionKind.BLOCK_CONNECTION,
                target,
                Map.of("peerIp", "203.0.113.7"),
                "block " + target.key() + " → 203.0.113.7",
                List.of(steps),
                List.of(),
                List.of(),
                List.of(new Reversibility("label the pod", true, "rollback removes the label")),
                List.of(),
                List.of(),
                List.of()));
    }

    /** Activity kept in memory: actions started (namespace and time), active ones, the pause; and what was asked. */
    private static final class FakeActivity implements Activity {

        private record Started(String namespace, Instant at) {}

        private final List<Started> started = new ArrayList<>();
        private long active;
        private @Nullable Pause pause;
        final List<String> asked = new ArrayList<>();

        FakeActivity started(String namespace, Instant at, int count) {
            for (int i = 0; i < count; i++) {
                started.add(new Started(namespace, at));
            }
            return this;
        }

        void forget(String namespace) {
            started.removeIf(s -> s.namespace().equals(namespace));
        }

        FakeActivity active(long count) {
            active = count;
            return this;
        }

        FakeActivity paused(@Nullable Pause pause) {
            this.pause = pause;
            return this;
        }

        @Override
        public long startedSince(Instant since) {
            asked.add("started since " + since);
            return started.stream().filter(s -> !s.at().isBefore(since)).count();
        }

        @Override
        public long startedSince(Instant since, String namespace) {
            asked.add("started in " + namespace + " since " + since);
            return started.stream()
                    .filter(s -> s.namespace().equals(namespace) && !s.at().isBefore(since))
                    .count();
        }

        @Override
        public long active() {
            asked.add("active");
            return active;
        }

        @Override
        public Optional<Pause> pause() {
            asked.add("pause");
            return Optional.ofNullable(pause);
        }
    }
}
