package dev.stanch.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.stanch.detection.Target;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import dev.stanch.playbook.OnApprovalTimeout;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * revoke-token planned and verified against hand-built clusters. Shop's pod web-1 runs as
 * ServiceAccount shop/web, which three bindings in shop, one in billing and one cluster-wide name
 * — in all three ways RBAC accepts — beside subjects that must stay.
 */
class RevokeTokenTest {

    static final ServerInfo V1_20 = ServerInfo.of(1, 20);
    static final ServerInfo V1_29 = ServerInfo.of(1, 29);

    /** 23:30 in UTC is already the next day in Tokyo: the label's date must be UTC's. */
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T23:30:00Z"), ZoneId.of("Asia/Tokyo"));

    private static final String TODAY = "2026-11-22";

    private static final String WEB_UID = "0b5e1a8e-web";

    private final RevokeToken revoke = new RevokeToken(CLOCK);

    // --- the cluster -------------------------------------------------------------------------

    private static Subject serviceAccount(String namespace, String name) {
        return new Subject(null, "ServiceAccount", name, namespace);
    }

    private static Subject user(String name) {
        return new Subject("rbac.authorization.k8s.io", "User", name, null);
    }

    private static Subject group(String name) {
        return new Subject("rbac.authorization.k8s.io", "Group", name, null);
    }

    private static RoleBinding roleBinding(String namespace, String name, String roleKind, String role, Subject... s) {
        return new RoleBindingBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withUid("uid-rb-" + namespace + "-" + name)
                .withResourceVersion("41")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", roleKind, role)
                .withSubjects(s)
                .build();
    }

    private static ClusterRoleBinding clusterRoleBinding(String name, String role, Subject... s) {
        return new ClusterRoleBindingBuilder()
                .withNewMetadata()
                .withName(name)
                .withUid("uid-crb-" + name)
                .withResourceVersion("42")
                .endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", role)
                .withSubjects(s)
                .build();
    }

    private static Pod pod(String name, String account) {
        return new PodBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName(name)
                .withUid("uid-pod-" + name)
                .addToLabels("app", name.replaceAll("-\\d+$", ""))
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName(account)
                .addNewContainer()
                .withName("app")
                .withImage("app")
                .endContainer()
                .endSpec()
                .build();
    }

    private static ServiceAccount account(String namespace, String name, String uid) {
        return new ServiceAccountBuilder()
                .withNewMetadata()
                .withNamespace(namespace)
                .withName(name)
                .withUid(uid)
                .endMetadata()
                .build();
    }

    private static Secret token(String name, String account, String accountUid, Map<String, String> labels) {
        Map<String, String> annotations = new HashMap<>();
        annotations.put(RevokeToken.ACCOUNT_NAME_ANNOTATION, account);
        if (accountUid != null) {
            annotations.put(RevokeToken.ACCOUNT_UID_ANNOTATION, accountUid);
        }
        return new SecretBuilder()
                .withNewMetadata()
                .withNamespace("shop")
                .withName(name)
                .withUid("uid-secret-" + name)
                .withResourceVersion("7")
                .withAnnotations(annotations)
                .withLabels(labels)
                .endMetadata()
                .withType(RevokeToken.TOKEN_SECRET_TYPE)
                .build();
    }

    /** The account as a real cluster would hold it: labels, pull secrets, an owner, token refs. */
    private static final ServiceAccount WEB = new ServiceAccountBuilder()
            .withNewMetadata()
            .withNamespace("shop")
            .withName("web")
            .withUid(WEB_UID)
            .withResourceVersion("1234")
            .withCreationTimestamp("2026-01-02T03:04:05Z")
            .addToLabels("app.kubernetes.io/name", "web")
            .addToLabels("app.kubernetes.io/managed-by", "Helm")
            .addToAnnotations("meta.helm.sh/release-name", "web")
            .addToAnnotations("kubernetes.io/enforce-mountable-secrets", "true")
            .withOwnerReferences(new OwnerReferenceBuilder()
                    .withApiVersion("apps.example.com/v1")
                    .withKind("WebApp")
                    .withName("web")
                    .withUid("uid-webapp")
                    .withController(true)
                    .withBlockOwnerDeletion(true)
                    .build())
            .withFinalizers("example.com/audit")
            .endMetadata()
            .withImagePullSecrets(new LocalObjectReference("registry-creds"))
            .withAutomountServiceAccountToken(false)
            .withSecrets(
                    new ObjectReference(null, null, null, "web-token-abc", null, null, null),
                    new ObjectReference(null, null, null, "web-config", null, null, null))
            .build();

    private static final RoleBinding READERS = roleBinding(
            "shop", "readers", "Role", "reader", user("alice"), serviceAccount("shop", "web"), group("shop-devs"));

    /** Names shop/web from another namespace: grants it billing's view. */
    private static final RoleBinding BILLING_VIEW =
            roleBinding("billing", "shop-web-view", "ClusterRole", "view", serviceAccount("shop", "web"));

    /** billing's own account of the same name: a different account. */
    private static final RoleBinding BILLING_OWN =
            roleBinding("billing", "billing-web", "Role", "invoices", serviceAccount("billing", "web"));

    /** A ServiceAccount subject without a namespace: RBAC takes the binding's own. */
    private static final RoleBinding IMPLICIT =
            roleBinding("shop", "implicit", "Role", "cache", serviceAccount(null, "web"), user("bob"));

    /** The same subject form in billing means billing/web. */
    private static final RoleBinding BILLING_IMPLICIT =
            roleBinding("billing", "implicit", "Role", "ledger", serviceAccount(null, "web"));

    private static final RoleBinding ALL_SHOP_ACCOUNTS =
            roleBinding("shop", "all-accounts", "Role", "config-reader", group("system:serviceaccounts:shop"));

    private static final RoleBinding ALL_BILLING_ACCOUNTS =
            roleBinding("billing", "all-accounts", "Role", "config-reader", group("system:serviceaccounts:billing"));

    /** The account twice, once as a User; between and after them subjects that stay. */
    private static final ClusterRoleBinding NODES = clusterRoleBinding(
            "web-nodes",
            "node-reader",
            serviceAccount("kube-system", "metrics"),
            serviceAccount("shop", "web"),
            user("carol"),
            user("system:serviceaccount:shop:web"),
            group("ops"));

    private static final ClusterRoleBinding DISCOVERY =
            clusterRoleBinding("system:discovery", "system:discovery", group("system:authenticated"));

    private static final Secret WEB_TOKEN = token("web-token-abc", "web", WEB_UID, Map.of());

    /** Of an earlier account named web: its token fails already. */
    private static final Secret OLD_WEB_TOKEN = token("web-token-old", "web", "uid-of-a-deleted-web", Map.of());

    /** Created by hand, its token not yet written: no uid annotation. */
    private static final Secret FRESH_WEB_TOKEN = token("web-token-fresh", "web", null, Map.of());

    private static final Secret API_TOKEN = token("api-token", "api", "uid-api", Map.of());

    static ClusterSnapshot cluster(ServerInfo server) {
        return new ClusterSnapshot(
                server,
                List.of(),
                List.of(
                        pod("web-1", "web"),
                        pod("web-2", "web"),
                        pod("web-3", "web"),
                        pod("api-1", "api"),
                        pod("db-0", null),
                        pod("cache-0", null),
                        new PodBuilder(pod("web-1", "web"))
                                .editMetadata()
                                .withNamespace("billing")
                                .endMetadata()
                                .build()),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(
                        WEB,
                        account("shop", "api", "uid-api"),
                        account("shop", "default", "uid-default"),
                        account("shop", "lonely", "uid-lonely"),
                        account("billing", "web", "uid-billing-web")),
                List.of(
                        READERS,
                        BILLING_VIEW,
                        BILLING_OWN,
                        IMPLICIT,
                        BILLING_IMPLICIT,
                        ALL_SHOP_ACCOUNTS,
                        ALL_BILLING_ACCOUNTS),
                List.of(NODES, DISCOVERY),
                List.of(WEB_TOKEN, OLD_WEB_TOKEN, FRESH_WEB_TOKEN, API_TOKEN));
    }

    static PlanInput input(String pod, Map<String, Object> params) {
        return input("shop", pod, params);
    }

    private static PlanInput input(String namespace, String pod, Map<String, Object> params) {
        ActionRequest request = new ActionRequest(
                "leaked-credentials",
                "strip-credentials",
                2,
                ActionKind.REVOKE_TOKEN,
                new Target(namespace, pod, "app"),
                params,
                Approval.AUTO,
                null,
                OnApprovalTimeout.REJECT,
                null,
                false);
        return new PlanInput("a1b2c3", request, Safety.defaults());
    }

    static final Map<String, Object> KEEP = Map.of(RevokeToken.ROTATE, false);
    static final Map<String, Object> ROTATE = Map.of(RevokeToken.ROTATE, true);

    private ActionPlan plan(ClusterSnapshot cluster, Map<String, Object> params) {
        return planned(input("web-1", params), cluster);
    }

    /** The plan, which — as every plan of this test — survives the ledger's document. */
    private ActionPlan planned(PlanInput input, ClusterSnapshot cluster) {
        Planning planning = revoke.plan(input, cluster);
        assertThat(planning).isInstanceOf(Planning.Planned.class);
        ActionPlan plan = ((Planning.Planned) planning).plan();
        PlanDocumentTest.assertLossless(plan, cluster);
        return plan;
    }

    private static <T extends Step> List<T> steps(List<Step> steps, Class<T> type) {
        return steps.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static Optional<Step.RemoveSubjects> removal(ActionPlan plan, String kind, String namespace, String name) {
        return steps(plan.steps(), Step.RemoveSubjects.class).stream()
                .filter(s -> s.object().equals(new ObjectRef("rbac.authorization.k8s.io/v1", kind, namespace, name)))
                .findFirst();
    }

    private static Step.RestoreSubjects restoration(ActionPlan plan, ObjectRef binding) {
        return steps(plan.undo(), Step.RestoreSubjects.class).stream()
                .filter(s -> s.object().equals(binding))
                .findFirst()
                .orElseThrow();
    }

    // --- bindings ----------------------------------------------------------------------------

    @Nested
    class Bindings {

        @Test
        void takesOnlyTheAccountOutOfABindingAndRecordsWhereItWas() {
            ActionPlan plan = plan(cluster(V1_29), KEEP);

            Step.RemoveSubjects remove =
                    removal(plan, "RoleBinding", "shop", "readers").orElseThrow();
            assertThat(remove.subjects()).containsExactly(serviceAccount("shop", "web"));
            assertThat(remove.describe()).isEqualTo("remove ServiceAccount shop/web from RoleBinding shop/readers");
            Step.RestoreSubjects restore = restoration(plan, remove.object());
            assertThat(restore.subjects()).containsExactly(serviceAccount("shop", "web"));
            assertThat(restore.positions()).containsExactly(1);
            assertThat(remove.applyTo(READERS.getSubjects())).containsExactly(user("alice"), group("shop-devs"));
        }

        @Test
        void removesTheAccountFromRoleBindingsOfOtherNamespacesAndKeepsAnEmptiedBinding() {
            ActionPlan plan = plan(cluster(V1_29), KEEP);

            Step.RemoveSubjects remove =
                    removal(plan, "RoleBinding", "billing", "shop-web-view").orElseThrow();
            assertThat(remove.subjects()).containsExactly(serviceAccount("shop", "web"));
            assertThat(restoration(plan, remove.object()).positions()).containsExactly(0);
            // The binding is left with no subjects, and left: no step deletes a binding.
            assertThat(remove.applyTo(BILLING_VIEW.getSubjects())).isEmpty();
            assertThat(plan.steps())
                    .filteredOn(s -> s.object().kind().endsWith("Binding"))
                    .allMatch(s -> s instanceof Step.RemoveSubjects);
        }

        @Test
        void leavesTheAccountOfTheSameNameInAnotherNamespaceAlone() {
            ActionPlan plan = plan(cluster(V1_29), KEEP);

            assertThat(removal(plan, "RoleBinding", "billing", "billing-web")).isEmpty();
            // No namespace in a billing binding means billing/web, not shop/web.
            assertThat(removal(plan, "RoleBinding", "billing", "implicit")).isEmpty();
            assertThat(plan.preImages())
                    .extracting(o -> o.getMetadata().getNamespace() + "/"
                            + o.getMetadata().getName())
                    .doesNotContain("billing/billing-web", "billing/implicit");
        }

        @Test
        void findsASubjectWhoseNamespaceTheRoleBindingImplies() {
            ActionPlan plan = plan(cluster(V1_29), KEEP);

            Step.RemoveSubjects remove =
                    removal(plan, "RoleBinding", "shop", "implicit").orElseThrow();
            assertThat(remove.subjects()).containsExactly(serviceAccount(null, "web"));
            assertThat(restoration(plan, remove.object()).positions()).containsExactly(0);
        }

        @Test
        void takesTheAccountOutOfAClusterRoleBindingAlsoWhereItIsNamedAsAUser() {
            ActionPlan plan = plan(cluster(V1_29), KEEP);

            Step.RemoveSubjects remove =
                    removal(plan, "ClusterRoleBinding", null, "web-nodes").orElseThrow();
            assertThat(remove.subjects())
                    .containsExactly(serviceAccount("shop", "web"), user("system:serviceaccount:shop:web"));
            assertThat(restoration(plan, remove.object()).positions()).containsExactly(1, 3);
            assertThat(remove.applyTo(NODES.getSubjects()))
                    .containsExactly(serviceAccount("kube-system", "metrics"), user("carol"), group("ops"));
        }

        @Test
        void plansEveryBindingThatNamesTheAccountAndNoOther() {
            ActionPlan plan = plan(cluster(V1_29), KEEP);

            assertThat(steps(plan.steps(), Step.RemoveSubjects.class))
                    .extracting(s -> s.object().toString())
                    .containsExactly(
                            "RoleBinding billing/shop-web-view",
                            "RoleBinding shop/implicit",
                            "RoleBinding shop/readers",
                            "ClusterRoleBinding web-nodes");
        }

        @Test
        void undoPutsEverySubjectBackInItsPlace() {
            ClusterSnapshot before = cluster(V1_29);
            ActionPlan plan = plan(before, KEEP);

            ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps(), "unused");
            ClusterSnapshot rolledBack = ClusterSimulator.apply(after, plan.undo(), "unused");

            assertThat(after.roleBindings())
                    .filteredOn(b -> b.getMetadata().getName().equals("readers"))
                    .singleElement()
                    .satisfies(b -> assertThat(b.getSubjects()).containsExactly(user("alice"), group("shop-devs")));
            assertThat(rolledBack.roleBindings()).isEqualTo(before.roleBindings());
            assertThat(rolledBack.clusterRoleBindings()).isEqualTo(before.clusterRoleBindings());
            assertThat(rolledBack.clusterRoleBindings().getFirst().getSubjects())
                    .containsExactlyElementsOf(NODES.getSubjects());
        }

        @Test
        void undoRestoresTheOrderWhenOtherSubjectsChangedMeanwhile() {
            // Someone removed carol after the action: the account goes back at its index, ops stays last.
            Step.RemoveSubjects remove = removal(plan(cluster(V1_29), KEEP), "ClusterRoleBinding", null, "web-nodes")
                    .orElseThrow();
            Step.RestoreSubjects restore = restoration(plan(cluster(V1_29), KEEP), remove.object());

            List<Subject> meanwhile = new ArrayList<>(remove.applyTo(NODES.getSubjects()));
            meanwhile.remove(user("carol"));

            assertThat(restore.applyTo(meanwhile))
                    .containsExactly(
                            serviceAccount("kube-system", "metrics"),
                            serviceAccount("shop", "web"),
                            group("ops"),
                            user("system:serviceaccount:shop:web"));
        }

        @Test
        void thePlanDoesNotDependOnTheOrderOfTheSnapshotsLists() {
            ClusterSnapshot cluster = cluster(V1_29);
            List<RoleBinding> shuffled = new ArrayList<>(cluster.roleBindings());
            Collections.reverse(shuffled);
            List<Secret> secrets = new ArrayList<>(cluster.tokenSecrets());
            Collections.reverse(secrets);
            ClusterSnapshot reordered = with(cluster, cluster.pods(), shuffled, secrets);

            assertThat(plan(reordered, ROTATE)).isEqualTo(plan(cluster, ROTATE));
        }
    }

    // --- legacy tokens -----------------------------------------------------------------------

    @Nested
    class LegacyTokens {

        @Test
        void from129MarksTheAccountsTokensInvalidWithTodaysUtcDateAndUndoRemovesTheMark() {
            ActionPlan plan = plan(cluster(V1_29), KEEP);

            ObjectRef abc = new ObjectRef("v1", "Secret", "shop", "web-token-abc");
            ObjectRef fresh = new ObjectRef("v1", "Secret", "shop", "web-token-fresh");
            assertThat(steps(plan.steps(), Step.Relabel.class))
                    .containsExactly(
                            Step.Relabel.labels(abc, Map.of(StanchLabels.LEGACY_TOKEN_INVALID_SINCE, TODAY), Set.of()),
                            Step.Relabel.labels(
                                    fresh, Map.of(StanchLabels.LEGACY_TOKEN_INVALID_SINCE, TODAY), Set.of()));
            assertThat(steps(plan.undo(), Step.Relabel.class))
                    .containsExactly(
                            Step.Relabel.labels(fresh, Map.of(), Set.of(StanchLabels.LEGACY_TOKEN_INVALID_SINCE)),
                            Step.Relabel.labels(abc, Map.of(), Set.of(StanchLabels.LEGACY_TOKEN_INVALID_SINCE)));
            assertThat(plan.steps()).noneMatch(s -> s instanceof Step.Delete);
            assertThat(plan.reversibility())
                    .filteredOn(r -> r.change().contains("web-token-abc"))
                    .singleElement()
                    .satisfies(r -> {
                        assertThat(r.reversible()).isTrue();
                        assertThat(r.change())
                                .isEqualTo("mark legacy token Secret shop/web-token-abc invalid"
                                        + " (kubernetes.io/legacy-token-invalid-since=2026-11-22)");
                        assertThat(r.note()).contains("removes the label");
                    });
            assertThat(plan.fullyReversible()).isTrue();
        }

        @Test
        void before129DeletesTheAccountsTokensExactlyByUidAndSaysTheyAreGone() {
            ActionPlan plan = plan(cluster(V1_20), KEEP);

            assertThat(steps(plan.steps(), Step.Delete.class))
                    .extracting(d -> d.object().toString(), Step.Delete::uid)
                    .containsExactly(
                            tuple("Secret shop/web-token-abc", "uid-secret-web-token-abc"),
                            tuple("Secret shop/web-token-fresh", "uid-secret-web-token-fresh"));
            assertThat(plan.steps()).noneMatch(s -> s instanceof Step.Relabel);
            assertThat(plan.undo()).noneMatch(s -> s.object().kind().equals("Secret"));
            assertThat(plan.reversibility())
                    .filteredOn(r -> r.change().equals("delete legacy token Secret shop/web-token-abc"))
                    .singleElement()
                    .satisfies(r -> {
                        assertThat(r.reversible()).isFalse();
                        assertThat(r.note()).contains("gone for good").contains("new token");
                    });
            assertThat(plan.fullyReversible()).isFalse();
            assertThat(plan.summary()).contains("delete 2 legacy token Secrets");
        }

        @Test
        void leavesTokensOfOtherAccountsAndOfAnEarlierAccountOfTheSameNameAlone() {
            for (ServerInfo server : List.of(V1_20, V1_29)) {
                ActionPlan plan = plan(cluster(server), KEEP);
                assertThat(plan.steps())
                        .extracting(s -> s.object().name())
                        .doesNotContain("api-token", "web-token-old");
                assertThat(plan.preImages())
                        .extracting(o -> o.getMetadata().getName())
                        .doesNotContain("api-token", "web-token-old");
            }
        }

        @Test
        void leavesATokenAlreadyMarkedInvalidAloneFrom129AndDeletesItBefore() {
            Secret marked = token(
                    "web-token-abc", "web", WEB_UID, Map.of(StanchLabels.LEGACY_TOKEN_INVALID_SINCE, "2025-03-01"));
            ClusterSnapshot v129 = withSecrets(cluster(V1_29), marked);
            ClusterSnapshot v120 = withSecrets(cluster(V1_20), marked);

            ActionPlan labelled = plan(v129, KEEP);
            assertThat(labelled.steps()).noneMatch(s -> s.object().name().equals("web-token-abc"));
            assertThat(labelled.undo()).noneMatch(s -> s.object().name().equals("web-token-abc"));
            assertThat(labelled.warnings())
                    .contains("Legacy token Secret shop/web-token-abc is already marked invalid since 2025-03-01:"
                            + " left alone, and rollback leaves it so");

            assertThat(steps(plan(v120, KEEP).steps(), Step.Delete.class))
                    .extracting(d -> d.object().name())
                    .containsExactly("web-token-abc", "web-token-fresh");
        }

        @Test
        void warnsAboutPodsThatMountATokenSecret() {
            ClusterSnapshot cluster = cluster(V1_20);
            List<Pod> pods = new ArrayList<>(cluster.pods());
            pods.add(new PodBuilder(pod("legacy-0", "web"))
                    .editSpec()
                    .addNewVolume()
                    .withName("token")
                    .withNewSecret()
                    .withSecretName("web-token-abc")
                    .endSecret()
                    .endVolume()
                    .endSpec()
                    .build());
            ClusterSnapshot mounted = with(cluster, pods, cluster.roleBindings(), cluster.tokenSecrets());

            assertThat(plan(mounted, KEEP).warnings())
                    .contains("Pods that mount legacy token Secret shop/web-token-abc use a token that no longer"
                            + " authenticates: legacy-0; a pod that mounts it cannot start until a Secret of that"
                            + " name exists again");
        }
    }

    // --- rotation ----------------------------------------------------------------------------

    @Nested
    class Rotation {

        @Test
        void isOffByDefaultAndThenEveryPartIsReversibleFrom129() {
            ActionPlan plan = plan(cluster(V1_29), Map.of());

            assertThat(plan.steps()).noneMatch(s -> s instanceof Step.RecreateServiceAccount);
            assertThat(plan.preImages()).noneMatch(o -> o instanceof ServiceAccount);
            assertThat(plan.fullyReversible()).isTrue();
            assertThat(plan.undo()).hasSize(plan.steps().size());
            assertThat(plan.warnings())
                    .anySatisfy(w -> assertThat(w)
                            .startsWith("Tokens already issued to ServiceAccount shop/web stay valid")
                            .contains("set rotateServiceAccount to make them fail"));
        }

        @Test
        void recreatesTheAccountLastWithoutUndoAndSaysWhatDies() {
            ActionPlan plan = plan(cluster(V1_29), ROTATE);

            assertThat(plan.steps().getLast()).isInstanceOfSatisfying(Step.RecreateServiceAccount.class, r -> {
                assertThat(r.object()).isEqualTo(new ObjectRef("v1", "ServiceAccount", "shop", "web"));
                assertThat(r.uid()).isEqualTo(WEB_UID);
            });
            assertThat(plan.undo()).noneMatch(s -> s.object().kind().equals("ServiceAccount"));
            assertThat(plan.preImages()).contains(WEB);
            assertThat(plan.reversibility())
                    .filteredOn(r -> r.change().equals("recreate ServiceAccount shop/web"))
                    .singleElement()
                    .satisfies(r -> {
                        assertThat(r.reversible()).isFalse();
                        assertThat(r.note())
                                .contains("every token bound to uid " + WEB_UID + " stops authenticating")
                                .contains("the 3 pods that use it")
                                .contains("restarted");
                    });
            assertThat(plan.fullyReversible()).isFalse();
            assertThat(plan.summary())
                    .isEqualTo("Revoke the credentials of ServiceAccount shop/web (pod shop/web-1): take it out of 4"
                            + " bindings, mark 2 legacy token Secrets invalid and recreate it so that every token bound"
                            + " to its uid fails.");
        }

        @Test
        void theLegacyTokensCannotComeBackOnceTheAccountIsRecreated() {
            ActionPlan plan = plan(cluster(V1_29), ROTATE);

            // The token controller deletes the old uid's token Secrets: no label to take off later.
            assertThat(plan.undo()).allMatch(s -> s instanceof Step.RestoreSubjects);
            assertThat(plan.reversibility())
                    .filteredOn(r -> r.change().contains("web-token-abc"))
                    .singleElement()
                    .satisfies(r -> {
                        assertThat(r.reversible()).isFalse();
                        assertThat(r.note()).contains("token controller deletes the Secret");
                    });
            assertThat(plan.reversibility())
                    .filteredOn(r -> r.change().startsWith("remove "))
                    .allSatisfy(r -> assertThat(r.note()).contains("grants the recreated account of the same name"));
        }

        @Test
        void theReplacementKeepsWhatOwnersAndPodsRelyOnAndDropsWhatBelongedToTheOldObject() {
            ServiceAccount replacement = steps(plan(cluster(V1_29), ROTATE).steps(), Step.RecreateServiceAccount.class)
                    .getFirst()
                    .replacement();

            assertThat(replacement.getMetadata().getNamespace()).isEqualTo("shop");
            assertThat(replacement.getMetadata().getName()).isEqualTo("web");
            assertThat(replacement.getMetadata().getLabels())
                    .isEqualTo(WEB.getMetadata().getLabels());
            assertThat(replacement.getMetadata().getAnnotations())
                    .isEqualTo(WEB.getMetadata().getAnnotations());
            assertThat(replacement.getImagePullSecrets()).containsExactly(new LocalObjectReference("registry-creds"));
            assertThat(replacement.getAutomountServiceAccountToken()).isFalse();
            // The mountable secret stays; the old uid's token Secret goes.
            assertThat(replacement.getSecrets())
                    .extracting(ObjectReference::getName)
                    .containsExactly("web-config");
            assertThat(replacement.getMetadata().getOwnerReferences())
                    .singleElement()
                    .satisfies(o -> {
                        assertThat(o.getUid()).isEqualTo("uid-webapp");
                        assertThat(o.getController()).isTrue();
                        assertThat(o.getBlockOwnerDeletion()).isNull();
                    });
            assertThat(replacement.getMetadata().getUid()).isNull();
            assertThat(replacement.getMetadata().getResourceVersion()).isNull();
            assertThat(replacement.getMetadata().getCreationTimestamp()).isNull();
            assertThat(replacement.getMetadata().getFinalizers()).isNullOrEmpty();
            // The snapshot's object is not changed by planning.
            assertThat(WEB.getMetadata().getOwnerReferences())
                    .extracting(OwnerReference::getBlockOwnerDeletion)
                    .containsExactly(true);
        }

        @Test
        void warnsAboutTheAccountsFinalizersAndWhatTheKubeletDoesNext() {
            ActionPlan plan = plan(cluster(V1_29), ROTATE);

            assertThat(plan.warnings())
                    .contains("ServiceAccount shop/web has finalizers (example.com/audit): it is deleted, and so"
                            + " recreated, only once their controllers remove them")
                    .anySatisfy(w -> assertThat(w)
                            .startsWith("Recreating ServiceAccount shop/web makes every token of uid " + WEB_UID
                                    + " fail at once, in the 3 pods that use it")
                            .contains("the compromised pod too"));
        }

        @Test
        void warnsThatTheControllerRecreatesADefaultAccountBare() {
            ActionPlan plan = planned(input("db-0", ROTATE), cluster(V1_29));

            assertThat(plan.steps()).singleElement().isInstanceOf(Step.RecreateServiceAccount.class);
            assertThat(plan.warnings())
                    .contains("The ServiceAccount controller recreates ServiceAccount shop/default by itself as soon"
                            + " as it is deleted, bare: when it is faster than Stanch, the new account lacks the old"
                            + " one's image pull secrets, labels and annotations (the plan's replacement lists them, to"
                            + " put back by hand).");
        }

        @Test
        void aloneIsAPlanEvenWhenNothingElseIsLeft() {
            ActionPlan plan = planned(input("lonely-0", ROTATE), withPod(cluster(V1_29), pod("lonely-0", "lonely")));

            assertThat(plan.steps()).singleElement().isInstanceOf(Step.RecreateServiceAccount.class);
            assertThat(plan.undo()).isEmpty();
            assertThat(plan.summary())
                    .isEqualTo("Revoke the credentials of ServiceAccount shop/lonely (pod shop/lonely-0): recreate"
                            + " it so that every token bound to its uid fails.");
        }
    }

    // --- warnings ----------------------------------------------------------------------------

    @Nested
    class Warnings {

        @Test
        void listsEveryBindingThatGrantsAGroupTheAccountIsIn() {
            ActionPlan plan = plan(cluster(V1_29), KEEP);

            assertThat(plan.warnings())
                    .contains("Every token of ServiceAccount shop/web still gets what these bindings grant to groups"
                            + " it belongs to; they are shared with other accounts, so Stanch does not edit them:"
                            + " RoleBinding shop/all-accounts (Role config-reader to Group system:serviceaccounts:shop);"
                            + " ClusterRoleBinding system:discovery (ClusterRole system:discovery to Group"
                            + " system:authenticated)");
            assertThat(plan.steps()).noneMatch(s -> s.object().name().equals("all-accounts"));
            assertThat(plan.steps()).noneMatch(s -> s.object().name().equals("system:discovery"));
        }

        @Test
        void namesTheOtherPodsThatShareTheAccount() {
            ActionPlan plan = plan(cluster(V1_29), KEEP);

            assertThat(plan.warnings().getFirst())
                    .isEqualTo("ServiceAccount shop/web is shared. 2 other pods of shop use it and lose its"
                            + " permissions too: web-2, web-3.");
        }

        @Test
        void putsTheDefaultAccountFirstAndCountsEveryPodThatUsesIt() {
            ClusterSnapshot cluster = withBindings(
                    cluster(V1_29),
                    roleBinding("shop", "default-reader", "Role", "reader", serviceAccount("shop", "default")));

            ActionPlan plan = planned(input("db-0", KEEP), cluster);

            assertThat(plan.warnings().getFirst())
                    .isEqualTo("CAUTION: ServiceAccount shop/default is the namespace's default account: every pod of"
                            + " shop that names no account runs as it, and so will every such pod created later. 1"
                            + " other pod of shop uses it and loses its permissions too: cache-0.");
        }

        @Test
        void saysNothingAboutSharingWhenNoOtherPodUsesTheAccount() {
            ClusterSnapshot cluster = withBindings(
                    withPod(cluster(V1_29), pod("lonely-0", "lonely")),
                    roleBinding("shop", "lonely", "Role", "reader", serviceAccount("shop", "lonely")));

            ActionPlan plan = planned(input("lonely-0", KEEP), cluster);

            assertThat(plan.warnings()).noneMatch(w -> w.contains("other pod"));
        }
    }

    // --- the rest of the plan ----------------------------------------------------------------

    @Test
    void thePlanRecordsWhatItChangesAndNothingElse() {
        ActionPlan plan = plan(cluster(V1_29), KEEP);

        assertThat(plan.actionId()).isEqualTo("a1b2c3");
        assertThat(plan.kind()).isEqualTo(ActionKind.REVOKE_TOKEN);
        assertThat(plan.target()).isEqualTo(new Target("shop", "web-1", "app"));
        assertThat(plan.params()).isEqualTo(KEEP);
        assertThat(plan.summary())
                .isEqualTo("Revoke the credentials of ServiceAccount shop/web (pod shop/web-1): take it out of 4"
                        + " bindings and mark 2 legacy token Secrets invalid.");
        assertThat(plan.preImages())
                .containsExactly(BILLING_VIEW, IMPLICIT, READERS, NODES, WEB_TOKEN, FRESH_WEB_TOKEN);
        assertThat(plan.preImages().getFirst()).isNotSameAs(BILLING_VIEW);
        assertThat(plan.connectivityLost()).isEmpty();
        assertThat(plan.connectivityRemaining()).isEmpty();
    }

    @Test
    void takesTheAccountFromTheDeprecatedFieldWhenTheNameIsNotSet() {
        Pod legacy = new PodBuilder(pod("legacy-0", null))
                .editSpec()
                .withServiceAccount("web")
                .endSpec()
                .build();

        ActionPlan plan = planned(input("legacy-0", KEEP), withPod(cluster(V1_29), legacy));

        assertThat(plan.summary()).startsWith("Revoke the credentials of ServiceAccount shop/web (pod shop/legacy-0)");
        assertThat(RevokeToken.accountName(pod("db-0", null))).isEqualTo("default");
    }

    @Test
    void declaresTheRbacItsStepsNeedWithTheEscalationCheckOfBindings() {
        assertThat(revoke.rbac())
                .extracting(r -> r.apiGroup() + "/" + r.resource() + ":" + String.join(",", r.verbs()))
                .containsExactly(
                        "rbac.authorization.k8s.io/rolebindings:get,update",
                        "rbac.authorization.k8s.io/clusterrolebindings:get,update",
                        "rbac.authorization.k8s.io/roles:bind",
                        "rbac.authorization.k8s.io/clusterroles:bind",
                        "/secrets:get,update",
                        "/secrets:delete",
                        "/serviceaccounts:get,delete,create");
        assertThat(revoke.rbac()).allSatisfy(r -> assertThat(r.why()).isNotBlank());
        assertThat(ActionType.of(ActionKind.REVOKE_TOKEN).rbac()).isEqualTo(revoke.rbac());
    }

    // --- refusals ----------------------------------------------------------------------------

    @Nested
    class Refusals {

        private Planning.Refused refused(Planning planning) {
            assertThat(planning).isInstanceOf(Planning.Refused.class);
            return (Planning.Refused) planning;
        }

        @Test
        void aPodInAProtectedNamespace() {
            Planning.Refused refused = refused(revoke.plan(input("kube-system", "coredns-0", KEEP), cluster(V1_29)));

            assertThat(refused.reason()).isEqualTo(Refusal.PROTECTED);
            assertThat(refused.message()).contains("kube-system is protected");
        }

        @Test
        void aMissingPod() {
            Planning.Refused refused = refused(revoke.plan(input("web-9", KEEP), cluster(V1_29)));

            assertThat(refused.reason()).isEqualTo(Refusal.NOT_FOUND);
            assertThat(refused.message()).isEqualTo("pod shop/web-9 does not exist");
        }

        @Test
        void stanchsOwnPod() {
            Pod stanch = new PodBuilder(pod("stanch-0", "stanch"))
                    .editMetadata()
                    .addToLabels("app.kubernetes.io/name", "stanch")
                    .endMetadata()
                    .build();

            Planning.Refused refused = refused(revoke.plan(input("stanch-0", KEEP), withPod(cluster(V1_29), stanch)));

            assertThat(refused.reason()).isEqualTo(Refusal.PROTECTED);
            assertThat(refused.message()).contains("is Stanch itself");
        }

        @Test
        void aMissingAccount() {
            Planning.Refused refused =
                    refused(revoke.plan(input("ghost-0", KEEP), withPod(cluster(V1_29), pod("ghost-0", "ghost"))));

            assertThat(refused.reason()).isEqualTo(Refusal.NOT_FOUND);
            assertThat(refused.message())
                    .isEqualTo("ServiceAccount shop/ghost of pod shop/ghost-0 does not exist: no token of it"
                            + " authenticates");
        }

        @Test
        void aParameterThatIsNotABoolean() {
            Planning.Refused refused =
                    refused(revoke.plan(input("web-1", Map.of(RevokeToken.ROTATE, "yes")), cluster(V1_29)));

            assertThat(refused.reason()).isEqualTo(Refusal.INVALID);
            assertThat(refused.message()).isEqualTo("rotateServiceAccount must be true or false, not 'yes'");
        }

        @Test
        void anAccountWithNothingToRevoke() {
            Planning.Refused refused =
                    refused(revoke.plan(input("lonely-0", KEEP), withPod(cluster(V1_29), pod("lonely-0", "lonely"))));

            assertThat(refused.reason()).isEqualTo(Refusal.ALREADY_IN_EFFECT);
            assertThat(refused.message())
                    .isEqualTo("ServiceAccount shop/lonely of pod shop/lonely-0 has no bindings and no legacy tokens"
                            + " that still authenticate: nothing to revoke. Its bound tokens still authenticate, as"
                            + " members of system:serviceaccounts, system:serviceaccounts:shop, system:authenticated,"
                            + " with what bindings grant those groups; set rotateServiceAccount to make them fail");
        }

        @Test
        void anAccountWhoseOnlyLegacyTokenIsAlreadyMarkedFrom129() {
            Secret marked = token(
                    "lonely-token",
                    "lonely",
                    "uid-lonely",
                    Map.of(StanchLabels.LEGACY_TOKEN_INVALID_SINCE, "2025-03-01"));
            ClusterSnapshot cluster = withSecrets(withPod(cluster(V1_29), pod("lonely-0", "lonely")), marked);

            assertThat(refused(revoke.plan(input("lonely-0", KEEP), cluster)).reason())
                    .isEqualTo(Refusal.ALREADY_IN_EFFECT);
        }
    }

    // --- verify ------------------------------------------------------------------------------

    @Nested
    class Verify {

        @Test
        void beforeTheStepsRanEveryPartIsAProblem() {
            ClusterSnapshot before = cluster(V1_29);
            ActionPlan plan = plan(before, KEEP);

            assertThat(revoke.verify(plan, before))
                    .containsExactly(
                            "ServiceAccount shop/web is still a subject of RoleBinding billing/shop-web-view",
                            "ServiceAccount shop/web is still a subject of RoleBinding shop/implicit",
                            "ServiceAccount shop/web is still a subject of RoleBinding shop/readers",
                            "ServiceAccount shop/web is still a subject of ClusterRoleBinding web-nodes",
                            "legacy token Secret shop/web-token-abc still lacks kubernetes.io/legacy-token-invalid-since",
                            "legacy token Secret shop/web-token-fresh still lacks kubernetes.io/legacy-token-invalid-since");
        }

        @Test
        void afterTheStepsRanNothingIsLeft() {
            ClusterSnapshot before = cluster(V1_29);
            ActionPlan plan = plan(before, KEEP);

            ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps(), "unused");

            assertThat(after.tokenSecrets())
                    .filteredOn(s -> s.getMetadata().getName().equals("web-token-abc"))
                    .singleElement()
                    .satisfies(s -> assertThat(s.getMetadata().getLabels())
                            .containsEntry(StanchLabels.LEGACY_TOKEN_INVALID_SINCE, TODAY));
            assertThat(revoke.verify(plan, after)).isEmpty();
            // Rolled back, it is not in effect any more.
            assertThat(revoke.verify(plan, ClusterSimulator.apply(after, plan.undo(), "unused")))
                    .hasSize(6);
        }

        @Test
        void seesABindingThatNamesTheAccountAgain() {
            ClusterSnapshot before = cluster(V1_29);
            ActionPlan plan = plan(before, KEEP);
            ClusterSnapshot after = withBindings(
                    ClusterSimulator.apply(before, plan.steps(), "unused"),
                    roleBinding("shop", "sneaky", "Role", "admin", user("system:serviceaccount:shop:web")));

            assertThat(revoke.verify(plan, after))
                    .containsExactly("ServiceAccount shop/web is still a subject of RoleBinding shop/sneaky");
        }

        @Test
        void before129TheTokensMustBeGone() {
            ClusterSnapshot before = cluster(V1_20);
            ActionPlan plan = plan(before, KEEP);

            assertThat(revoke.verify(plan, before))
                    .contains(
                            "legacy token Secret shop/web-token-abc still exists (uid uid-secret-web-token-abc)",
                            "legacy token Secret shop/web-token-fresh still exists (uid uid-secret-web-token-fresh)");
            ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps(), "unused");
            assertThat(after.tokenSecrets())
                    .extracting(s -> s.getMetadata().getName())
                    .containsExactly("web-token-old", "api-token");
            assertThat(revoke.verify(plan, after)).isEmpty();
            // A new Secret of the same name is someone else's: not the token planned on.
            assertThat(revoke.verify(
                            plan,
                            withSecrets(
                                    after,
                                    token("web-token-abc", "web", WEB_UID, Map.of()).toBuilder()
                                            .editMetadata()
                                            .withUid("a-new-uid")
                                            .endMetadata()
                                            .build())))
                    .isEmpty();
        }

        @Test
        void aRotatedAccountMustHaveANewUid() {
            ClusterSnapshot before = cluster(V1_29);
            ActionPlan plan = plan(before, ROTATE);

            ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps(), "uid-web-2");
            assertThat(after.serviceAccount("shop", "web"))
                    .hasValueSatisfying(
                            a -> assertThat(a.getMetadata().getUid()).isEqualTo("uid-web-2"));
            assertThat(revoke.verify(plan, after)).isEmpty();

            ClusterSnapshot notRecreated = ClusterSimulator.apply(
                    before, plan.steps().subList(0, plan.steps().size() - 1), "unused");
            assertThat(revoke.verify(plan, notRecreated))
                    .containsExactly(
                            "ServiceAccount shop/web still has uid " + WEB_UID + ": its tokens still authenticate");

            ClusterSnapshot deletedOnly = new ClusterSnapshot(
                    after.server(),
                    after.namespaces(),
                    after.pods(),
                    after.networkPolicies(),
                    after.adminPolicies(),
                    after.ciliumPolicies(),
                    after.workloads(),
                    after.services(),
                    after.serviceAccounts().stream()
                            .filter(a -> !a.getMetadata().getName().equals("web"))
                            .toList(),
                    after.roleBindings(),
                    after.clusterRoleBindings(),
                    after.tokenSecrets());
            assertThat(revoke.verify(plan, deletedOnly))
                    .containsExactly("ServiceAccount shop/web does not exist: it was deleted but not created again");
        }

        @Test
        void aTokenSecretTheTokenControllerDeletedAfterRotationIsInEffect() {
            ClusterSnapshot before = cluster(V1_29);
            ActionPlan plan = plan(before, ROTATE);
            ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps(), "uid-web-2");

            assertThat(revoke.verify(plan, withoutSecrets(after))).isEmpty();
        }
    }

    // --- helpers -----------------------------------------------------------------------------

    private static ClusterSnapshot with(
            ClusterSnapshot cluster, List<Pod> pods, List<RoleBinding> roleBindings, List<Secret> secrets) {
        return new ClusterSnapshot(
                cluster.server(),
                cluster.namespaces(),
                pods,
                cluster.networkPolicies(),
                cluster.adminPolicies(),
                cluster.ciliumPolicies(),
                cluster.workloads(),
                cluster.services(),
                cluster.serviceAccounts(),
                roleBindings,
                cluster.clusterRoleBindings(),
                secrets);
    }

    private static ClusterSnapshot withPod(ClusterSnapshot cluster, Pod pod) {
        List<Pod> pods = new ArrayList<>(cluster.pods());
        pods.add(pod);
        return with(cluster, pods, cluster.roleBindings(), cluster.tokenSecrets());
    }

    private static ClusterSnapshot withBindings(ClusterSnapshot cluster, RoleBinding binding) {
        List<RoleBinding> bindings = new ArrayList<>(cluster.roleBindings());
        bindings.add(binding);
        return with(cluster, cluster.pods(), bindings, cluster.tokenSecrets());
    }

    /** Replaces the Secret of the same name, or adds it. */
    private static ClusterSnapshot withSecrets(ClusterSnapshot cluster, Secret secret) {
        List<Secret> secrets = new ArrayList<>(cluster.tokenSecrets());
        secrets.removeIf(
                s -> s.getMetadata().getName().equals(secret.getMetadata().getName()));
        secrets.add(secret);
        return with(cluster, cluster.pods(), cluster.roleBindings(), secrets);
    }

    private static ClusterSnapshot withoutSecrets(ClusterSnapshot cluster) {
        return with(cluster, cluster.pods(), cluster.roleBindings(), List.of());
    }
}
