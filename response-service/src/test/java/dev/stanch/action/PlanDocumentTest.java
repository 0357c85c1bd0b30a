package dev.stanch.action;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.MAP;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.json.JsonMapper;

/**
 * The plan document: what it looks like, that it gives back the plan, and the errors a malformed one
 * gets. Every plan that BlockConnectionTest, RevokeTokenTest and QuarantinePodTest make goes through
 * {@link #assertLossless} too.
 */
class PlanDocumentTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /**
     * The plan as the ledger keeps it — its document, written to a JSON string and parsed again — read
     * back: equal to the plan, and its steps and undo steps change a cluster as the plan's do.
     */
    static void assertLossless(ActionPlan plan, ClusterSnapshot before) {
        String json = JSON.writeValueAsString(PlanDocument.of(plan));
        ActionPlan read = PlanDocument.read(JSON.readTree(json));

        assertThat(read).isEqualTo(canonical(plan));
        assertThat(PlanDocument.read(PlanDocument.of(plan))).isEqualTo(read);
        ClusterSnapshot after = ClusterSimulator.apply(before, plan.steps());
        ClusterSnapshot afterRead = ClusterSimulator.apply(before, read.steps());
        assertThat(canonical(afterRead)).isEqualTo(canonical(after));
        assertThat(canonical(ClusterSimulator.apply(afterRead, read.undo())))
                .isEqualTo(canonical(ClusterSimulator.apply(after, plan.undo())));
    }

    /**
     * The plan with every fabric8 model as its JSON gives it back. fabric8's equals tells a list that
     * a planner left null from an empty one; JSON does not (both are left out), and a model read from
     * JSON has the empty list. So models compare by their JSON, everything else as it is.
     */
    static ActionPlan canonical(ActionPlan plan) {
        return new ActionPlan(
                plan.actionId(),
                plan.kind(),
                plan.target(),
                plan.params(),
                plan.summary(),
                plan.steps().stream().map(PlanDocumentTest::canonical).toList(),
                plan.undo().stream().map(PlanDocumentTest::canonical).toList(),
                canonical(plan.preImages()),
                plan.reversibility(),
                plan.connectivityLost(),
                plan.connectivityRemaining(),
                plan.warnings());
    }

    private static Step canonical(Step step) {
        return switch (step) {
            case Step.Create create -> new Step.Create(SERIALIZATION.clone(create.manifest()));
            case Step.RemoveSubjects remove -> new Step.RemoveSubjects(remove.object(), canonical(remove.subjects()));
            case Step.RestoreSubjects restore ->
                new Step.RestoreSubjects(restore.object(), canonical(restore.subjects()), restore.positions());
            case Step.RecreateServiceAccount recreate ->
                new Step.RecreateServiceAccount(
                        recreate.object(), recreate.uid(), SERIALIZATION.clone(recreate.replacement()));
            case Step.DeleteOwned delete -> delete;
            case Step.Relabel relabel -> relabel;
            case Step.Delete delete -> delete;
            case Step.SyncBlockPolicies sync -> sync;
        };
    }

    private static ClusterSnapshot canonical(ClusterSnapshot cluster) {
        return new ClusterSnapshot(
                cluster.server(),
                canonical(cluster.namespaces()),
                canonical(cluster.pods()),
                canonical(cluster.networkPolicies()),
                canonical(cluster.adminPolicies()),
                canonical(cluster.ciliumPolicies()),
                canonical(cluster.workloads()),
                canonical(cluster.services()),
                canonical(cluster.serviceAccounts()),
                canonical(cluster.roleBindings()),
                canonical(cluster.clusterRoleBindings()),
                canonical(cluster.tokenSecrets()));
    }

    private static <T> List<T> canonical(List<T> models) {
        return models.stream().map(SERIALIZATION::clone).toList();
    }

    // ------------------------------------------------------------------ fixture plans

    /** The block of docs/actions.md: a NetworkPolicy on 1.30. */
    private static ActionPlan block() {
        return planned(
                BlockConnection.INSTANCE,
                BlockConnectionTest.block("0b5e7c1d", "shop/web-1", "egress", "203.0.113.7", 4444, "port"),
                BlockConnectionTest.shop(ServerInfo.of(1, 30)));
    }

    /** The same flow where only a CiliumNetworkPolicy can cut it. */
    private static ActionPlan ciliumBlock() {
        return planned(
                BlockConnection.INSTANCE,
                BlockConnectionTest.block("4d2a9e61", "shop/web-1", "egress", "203.0.113.7", 4444, "port"),
                BlockConnectionTest.shop(BlockConnectionTest.V1_30_CILIUM, BlockConnectionTest.webEgressEverywhere()));
    }

    /** The same flow denied by a ClusterNetworkPolicy, ahead of an admin-tier Allow at priority 20. */
    private static ActionPlan clusterNetworkPolicyBlock() {
        return planned(
                BlockConnection.INSTANCE,
                BlockConnectionTest.block("k1", "shop/web-1", "egress", "203.0.113.7", 4444, "port"),
                BlockConnectionTest.shop(
                        ServerInfo.of(1, 33, ServerInfo.CLUSTER_NETWORK_POLICY, ServerInfo.ADMIN_NETWORK_POLICY),
                        BlockConnectionTest.adminAllow("platform-egress", 20)));
    }

    /** On 1.20: out of four bindings, the legacy tokens deleted, and — asked for — the account recreated. */
    private static ActionPlan revokeAndRotate() {
        return planned(
                new RevokeToken(RevokeTokenTest.CLOCK),
                RevokeTokenTest.input("web-1", RevokeTokenTest.ROTATE),
                RevokeTokenTest.cluster(RevokeTokenTest.V1_20));
    }

    /** Detached, on a server with AdminNetworkPolicy. */
    private static ActionPlan quarantine() {
        return planned(
                QuarantinePod.INSTANCE,
                QuarantinePodTest.input("7f3c2a", QuarantinePodTest.WEB_A, true),
                QuarantinePodTest.Fixture.cluster(QuarantinePodTest.ANP_SERVER));
    }

    private static ActionPlan planned(ActionType type, PlanInput input, ClusterSnapshot cluster) {
        ActionPlan plan = BlockConnectionTest.planned(type.plan(input, cluster));
        assertLossless(plan, cluster);
        return plan;
    }

    private static List<ActionPlan> fixturePlans() {
        return List.of(block(), ciliumBlock(), clusterNetworkPolicyBlock(), revokeAndRotate(), quarantine());
    }

    // ------------------------------------------------------------------ the format

    @Test
    void eachStepIsATypedEntryHeadedByWhatItDoesForPeople() {
        Map<String, Object> document = PlanDocument.of(block());

        assertThat(document)
                .containsEntry("format", 1)
                .containsEntry("actionId", "0b5e7c1d")
                .containsEntry("kind", "block-connection")
                .containsEntry("target", Map.of("namespace", "shop", "pod", "web-1"));
        assertThat(JSON.writeValueAsString(document.get("undo"))).isEqualTo("""
                [{"do":"delete NetworkPolicy shop/stanch-block-0b5e7c1d (created by this action)",\
                "step":"delete-owned",\
                "object":{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","namespace":"shop",\
                "name":"stanch-block-0b5e7c1d"},\
                "actionId":"0b5e7c1d"},\
                {"do":"align the other egress block policies of Pod shop/web-1 so that none allows what another\
                 cuts",\
                "step":"sync-block-policies",\
                "object":{"apiVersion":"v1","kind":"Pod","namespace":"shop","name":"web-1"},\
                "podUid":"uid-web-1",\
                "direction":"egress"},\
                {"do":"relabel Pod shop/web-1: -label block.stanch.dev/0b5e7c1d",\
                "step":"relabel",\
                "object":{"apiVersion":"v1","kind":"Pod","namespace":"shop","name":"web-1"},\
                "removeLabels":["block.stanch.dev/0b5e7c1d"]}]""");
        assertThat(at(document, "steps", 1))
                .containsEntry("step", "create")
                .extractingByKey("manifest")
                .asInstanceOf(MAP)
                .containsEntry("apiVersion", "networking.k8s.io/v1")
                .containsEntry("kind", "NetworkPolicy")
                .containsKey("spec");
        // A pre-image is the whole object, as it was.
        assertThat(at(document, "preImages", 0))
                .containsEntry("kind", "Pod")
                .containsEntry("status", Map.of("phase", "Running", "podIP", "10.0.0.11"));
    }

    @Test
    void subjectsComeWithThePositionsTheyHad() {
        Map<String, Object> document = PlanDocument.of(revokeAndRotate());

        assertThat(JSON.writeValueAsString(at(document, "undo", 0))).isEqualTo("""
                {"do":"put ServiceAccount shop/web, User system:serviceaccount:shop:web back into ClusterRoleBinding\
                 web-nodes",\
                "step":"restore-subjects",\
                "object":{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","name":"web-nodes"},\
                "subjects":[{"kind":"ServiceAccount","name":"web","namespace":"shop"},\
                {"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"system:serviceaccount:shop:web"}],\
                "positions":[1,3]}""");
        assertThat(at(document, "steps", 6))
                .containsEntry("step", "recreate-service-account")
                .containsEntry("uid", "0b5e1a8e-web")
                .containsKey("replacement");
    }

    @Test
    void aManifestComesBackAsTheModelClassTheRestOfStanchHoldsItIn() {
        ActionPlan cilium = PlanDocument.read(PlanDocument.of(ciliumBlock()));
        ActionPlan cnp = PlanDocument.read(PlanDocument.of(clusterNetworkPolicyBlock()));
        ActionPlan quarantine = PlanDocument.read(PlanDocument.of(quarantine()));
        ActionPlan revoke = PlanDocument.read(PlanDocument.of(revokeAndRotate()));

        assertThat(created(cilium))
                .singleElement()
                .satisfies(policy -> assertGeneric(policy, "cilium.io/v2", "CiliumNetworkPolicy"));
        assertThat(created(cnp))
                .singleElement()
                .satisfies(
                        policy -> assertGeneric(policy, "policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy"));
        assertThat(created(quarantine))
                .satisfiesExactly(
                        policy -> assertThat(policy).isInstanceOf(NetworkPolicy.class),
                        policy -> assertGeneric(policy, "policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy"));
        assertThat(quarantine.preImages()).singleElement().isInstanceOf(Pod.class);
        assertThat(revoke.preImages()).first().isInstanceOf(RoleBinding.class);
        assertThat(revoke.steps().getLast())
                .isInstanceOfSatisfying(
                        Step.RecreateServiceAccount.class,
                        recreate -> assertThat(recreate.replacement()).isInstanceOf(ServiceAccount.class));
    }

    private static List<HasMetadata> created(ActionPlan plan) {
        return plan.steps().stream()
                .filter(Step.Create.class::isInstance)
                .map(step -> ((Step.Create) step).manifest())
                .toList();
    }

    private static void assertGeneric(HasMetadata manifest, String apiVersion, String kind) {
        assertThat(manifest).isExactlyInstanceOf(GenericKubernetesResource.class);
        assertThat(manifest.getApiVersion()).isEqualTo(apiVersion);
        assertThat(manifest.getKind()).isEqualTo(kind);
    }

    @Test
    void aCustomResourceIsGenericWhateverClassFabric8Registers() {
        // As if a fabric8 version or a jar on the class path registered classes for these kinds.
        assertThat(PlanDocument.modelClass("cilium.io/v2", NetworkPolicy.class))
                .isEqualTo(GenericKubernetesResource.class);
        assertThat(PlanDocument.modelClass("policy.networking.k8s.io/v1alpha1", NetworkPolicy.class))
                .isEqualTo(GenericKubernetesResource.class);
        assertThat(PlanDocument.modelClass("example.com/v1", null)).isEqualTo(GenericKubernetesResource.class);
        assertThat(PlanDocument.modelClass("networking.k8s.io/v1", NetworkPolicy.class))
                .isEqualTo(NetworkPolicy.class);
        assertThat(PlanDocument.modelClass("v1", Pod.class)).isEqualTo(Pod.class);
    }

    /**
     * The ledger's jsonb orders keys its own way, and the ledger reads integers as Longs: neither
     * changes the plan.
     */
    @Test
    void keyOrderAndTheJavaTypeOfNumbersDoNotMatter() {
        for (ActionPlan plan : fixturePlans()) {
            Object asStored = longsAndSortedKeys(PlanDocument.of(plan));

            @SuppressWarnings("unchecked")
            ActionPlan read = PlanDocument.read((Map<String, Object>) asStored);

            assertThat(read).isEqualTo(canonical(plan));
        }
    }

    private static Object longsAndSortedKeys(Object value) {
        return switch (value) {
            case Map<?, ?> map ->
                map.entrySet().stream()
                        .collect(Collectors.toMap(
                                e -> (String) e.getKey(),
                                e -> longsAndSortedKeys(e.getValue()),
                                (a, b) -> a,
                                TreeMap::new));
            case List<?> list ->
                list.stream().map(PlanDocumentTest::longsAndSortedKeys).toList();
            case Integer number -> number.longValue();
            default -> value;
        };
    }

    /** What docs/actions.md shows is the stored document itself: read from that YAML, it is the plan. */
    @Test
    void theYamlForPeopleIsTheDocument() {
        for (ActionPlan plan : fixturePlans()) {
            Map<String, Object> fromYaml = new Yaml().load(PlanDocument.yaml(plan));

            assertThat(PlanDocument.read(fromYaml)).isEqualTo(canonical(plan));
        }
    }

    /** So that the planner tests, which check every plan they make, read back every type of step. */
    @Test
    void theFixturePlansHoldEveryTypeOfStep() {
        Set<Class<?>> types = fixturePlans().stream()
                .flatMap(plan -> Stream.concat(plan.steps().stream(), plan.undo().stream()))
                .map(Object::getClass)
                .collect(Collectors.toSet());

        assertThat(types).containsExactlyInAnyOrder(Step.class.getPermittedSubclasses());
    }

    // ------------------------------------------------------------------ malformed documents

    /**
     * One way a document can be malformed.
     *
     * @param name what is wrong
     * @param revoke true to break the document of {@link #revokeAndRotate()}, else that of {@link #block()}
     * @param change what breaks it
     * @param message the error's message
     */
    record Malformation(String name, boolean revoke, Consumer<Map<String, Object>> change, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Malformation> malformations() {
        String unknownStep = "malformed plan document: steps[2].step: no step type is named 'reboot-node' (one of"
                + " create, delete-owned, relabel, remove-subjects, restore-subjects, delete, recreate-service-account,"
                + " sync-block-policies)";
        return Stream.of(
                new Malformation(
                        "a step without its type",
                        false,
                        d -> at(d, "steps", 0).remove("step"),
                        "malformed plan document: steps[0].step is missing"),
                new Malformation(
                        "a step of an unknown type",
                        false,
                        d -> at(d, "steps", 2).put("step", "reboot-node"),
                        unknownStep),
                new Malformation(
                        "a manifest without its kind",
                        false,
                        d -> at(d, "steps", 1, "manifest").remove("kind"),
                        "malformed plan document: steps[1].manifest.kind is missing"),
                new Malformation(
                        "a pre-image without its name",
                        false,
                        d -> at(d, "preImages", 0, "metadata").remove("name"),
                        "malformed plan document: preImages[0].metadata.name is missing"),
                new Malformation(
                        "steps that are not an array",
                        false,
                        d -> d.put("steps", "relabel, create"),
                        "malformed plan document: steps must be an array, not the string \"relabel, create\""),
                new Malformation(
                        "an object named by a string",
                        false,
                        d -> at(d, "steps", 0).put("object", "Pod shop/web-1"),
                        "malformed plan document: steps[0].object must be an object, not the string \"Pod"
                                + " shop/web-1\""),
                new Malformation(
                        "a label value that is not a string",
                        false,
                        d -> at(d, "steps", 0, "setLabels").put("block.stanch.dev/0b5e7c1d", true),
                        "malformed plan document: steps[0].setLabels.block.stanch.dev/0b5e7c1d must be a string,"
                                + " not true"),
                new Malformation(
                        "a label name that is not a string",
                        false,
                        d -> at(d, "undo", 2).put("removeLabels", List.of(7)),
                        "malformed plan document: undo[2].removeLabels[0] must be a string, not the number 7"),
                new Malformation(
                        "reversible as a string",
                        false,
                        d -> at(d, "reversibility", 0).put("reversible", "yes"),
                        "malformed plan document: reversibility[0].reversible must be true or false, not the"
                                + " string \"yes\""),
                new Malformation(
                        "a format written as a string",
                        false,
                        d -> d.put("format", "1"),
                        "malformed plan document: format must be an integer, not the string \"1\""),
                new Malformation(
                        "a format this Stanch does not read",
                        false,
                        d -> d.put("format", 2),
                        "malformed plan document: format 2 is not one this Stanch reads (1)"),
                new Malformation(
                        "no format", false, d -> d.remove("format"), "malformed plan document: format is missing"),
                // Read as "nothing to undo", it would make a rollback that leaves everything in place.
                new Malformation("no undo", false, d -> d.remove("undo"), "malformed plan document: undo is missing"),
                new Malformation(
                        "an unknown action kind",
                        false,
                        d -> d.put("kind", "reboot-node"),
                        "malformed plan document: kind: no action kind is named 'reboot-node'"),
                new Malformation(
                        "a target that is no pod name",
                        false,
                        d -> at(d, "target").put("pod", "Web_1"),
                        "malformed plan document: target.pod: not a valid pod name (DNS-1123 subdomain): 'Web_1'"),
                new Malformation(
                        "a direction that is neither",
                        false,
                        d -> at(d, "steps", 2).put("direction", "sideways"),
                        "malformed plan document: steps[2].direction must be egress or ingress, not 'sideways'"),
                new Malformation(
                        "fewer positions than subjects",
                        true,
                        d -> at(d, "undo", 0).put("positions", List.of(1)),
                        "malformed plan document: undo[0].positions must hold one position per subject: 1 for 2"),
                new Malformation(
                        "a negative position",
                        true,
                        d -> at(d, "undo", 0).put("positions", List.of(-1, 3)),
                        "malformed plan document: undo[0].positions[0] must be a position (an integer ≥ 0), not the"
                                + " number -1"),
                new Malformation(
                        "a subject without its name",
                        true,
                        d -> at(d, "steps", 0, "subjects", 0).remove("name"),
                        "malformed plan document: steps[0].subjects[0].name is missing"),
                new Malformation(
                        "a replacement that is not a ServiceAccount",
                        true,
                        d -> at(d, "steps", 6, "replacement").put("kind", "Secret"),
                        "malformed plan document: steps[6].replacement must be a v1 ServiceAccount, not v1 Secret"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformations")
    void aMalformedDocumentIsRefusedNamingTheField(Malformation malformation) {
        Map<String, Object> document = mutable(malformation.revoke() ? revokeAndRotate() : block());
        malformation.change().accept(document);

        assertThatThrownBy(() -> PlanDocument.read(document))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(malformation.message());
    }

    @Test
    void aManifestItsModelCannotHoldIsRefusedNamingTheManifest() {
        Map<String, Object> document = mutable(block());
        at(document, "steps", 1, "manifest").put("spec", "everything but the flow");

        assertThatThrownBy(() -> PlanDocument.read(document))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(
                        "malformed plan document: steps[1].manifest is not a networking.k8s.io/v1 NetworkPolicy: ");
    }

    @Test
    void aDocumentThatIsNoObjectIsRefused() {
        assertThatThrownBy(() -> PlanDocument.read(JSON.readTree("[]")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("malformed plan document: a plan document must be an object, not an array");
    }

    /** The plan's document as JSON gives it back: maps and lists that a test may change. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> mutable(ActionPlan plan) {
        return JSON.readValue(JSON.writeValueAsString(PlanDocument.of(plan)), LinkedHashMap.class);
    }

    /** The object at that path of keys and indexes. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> at(Map<String, Object> document, Object... path) {
        Object node = document;
        for (Object key : path) {
            node = key instanceof Integer index
                    ? ((List<Object>) node).get(index)
                    : ((Map<String, Object>) node).get(key);
        }
        return (Map<String, Object>) node;
    }
}
