package dev.stanch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The allowed dependencies between feature packages. A feature may use only the features listed for
 * it; the plain-Java core never sees Spring. Add a feature here when it is created.
 */
class ArchitectureTest {

    private static final String ROOT = "dev.stanch";

    /** feature → the features it may depend on. */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("detection", Set.of()),
            Map.entry("playbook", Set.of("detection")),
            Map.entry("netpol", Set.of()),
            Map.entry("action", Set.of("detection", "playbook", "netpol")),
            Map.entry("kubernetes", Set.of("action", "detection", "playbook", "netpol")),
            // audit verify runs the ledger's verify() against its database.
            Map.entry("cli", Set.of("detection", "playbook", "netpol", "ledger")),
            Map.entry("guardrail", Set.of("action", "detection", "playbook")),
            // The ledger records the guardrails' decisions (and will answer their Activity queries):
            // it depends on guardrail, never the reverse.
            Map.entry("ledger", Set.of("action", "detection", "guardrail", "playbook")),
            // The workflow drives the others over the ledger; it is not core: the ledger it runs on is JDBC.
            Map.entry("workflow", Set.of("action", "detection", "guardrail", "kubernetes", "ledger", "playbook")),
            // Kafka in and out, an adapter: records → normalizer → the workflow's intake; the ledger's
            // outbox → the actions topic. It tells transient Kubernetes failures from the rest.
            Map.entry("kafka", Set.of("detection", "kubernetes", "ledger", "workflow")),
            // The wiring: Spring puts the features together here, and only here.
            Map.entry(
                    "app", Set.of("action", "detection", "guardrail", "kubernetes", "ledger", "playbook", "workflow")),
            // The REST API: Spring MVC over the workflow and the ledger.
            Map.entry(
                    "api", Set.of("action", "detection", "guardrail", "kubernetes", "ledger", "playbook", "workflow")));

    /** Plain Java: records, sealed types, no framework. */
    private static final List<String> CORE = List.of("detection", "playbook", "netpol", "action", "guardrail");

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    @TestFactory
    Stream<DynamicTest> featuresDependOnlyOnTheirAllowedFeatures() {
        return ALLOWED.entrySet().stream()
                .map(entry -> DynamicTest.dynamicTest(entry.getKey(), () -> {
                    Set<String> forbidden = new TreeSet<>(ALLOWED.keySet());
                    forbidden.removeAll(entry.getValue());
                    forbidden.remove(entry.getKey());
                    String[] forbiddenPackages =
                            forbidden.stream().map(f -> ROOT + "." + f + "..").toArray(String[]::new);
                    if (forbiddenPackages.length == 0) {
                        return;
                    }
                    noClasses()
                            .that()
                            .resideInAPackage(ROOT + "." + entry.getKey() + "..")
                            .should()
                            .dependOnClassesThat()
                            .resideInAnyPackage(forbiddenPackages)
                            .because(entry.getKey() + " may use only " + entry.getValue())
                            .allowEmptyShould(true)
                            .check(classes);
                }));
    }

    @Test
    void everyFeaturePackageIsDeclared() {
        Set<String> features = new TreeSet<>();
        classes.forEach(javaClass -> {
            String name = javaClass.getPackageName();
            if (name.startsWith(ROOT + ".")) {
                features.add(name.substring(ROOT.length() + 1).split("\\.")[0]);
            }
        });
        org.assertj.core.api.Assertions.assertThat(ALLOWED.keySet())
                .as("feature packages declared in ArchitectureTest.ALLOWED")
                .containsAll(features);
    }

    @Test
    void theCoreIsPlainJava() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        CORE.stream().map(f -> ROOT + "." + f + "..").toArray(String[]::new))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.springframework..", "io.fabric8.kubernetes.client", "io.fabric8.kubernetes.client.dsl..")
                .because("the core (playbooks, planning, guardrails, the NetworkPolicy engine) is plain Java:"
                        + " model classes and parsing utilities, but no Spring and no API calls")
                .check(classes);
    }

    @Test
    void onlyTheWiringKnowsTheCircuitBreaker() {
        noClasses()
                .that()
                .resideOutsideOfPackage(ROOT + ".app..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.github.resilience4j..")
                .because("the workflow takes a ClusterGuard; Resilience4j is the app's choice of one")
                .check(classes);
    }

    @Test
    void featuresDoNotReachBackIntoTheApplicationClass() {
        noClasses()
                .that()
                .resideInAnyPackage(ALLOWED.keySet().stream()
                        .map(f -> ROOT + "." + f + "..")
                        .toArray(String[]::new))
                .should()
                .dependOnClassesThat()
                .resideInAPackage(ROOT)
                .check(classes);
    }
}
