package dev.stanch.action;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The example plans in docs/actions.md are real: each is the planner's output on the fixture
 * cluster of the kind's test. Regenerate them with {@code -Dstanch.write-docs=true}.
 */
class ActionDocsTest {

    static final Path DOC = Path.of(System.getProperty("stanch.repo", "..")).resolve("docs/actions.md");

    @Test
    void blockConnectionExample() throws IOException {
        ActionPlan plan = BlockConnectionTest.planned(
                BlockConnectionTest.block("0b5e7c1d", "shop/web-1", "egress", "203.0.113.7", 4444, "port"),
                BlockConnectionTest.shop(ServerInfo.of(1, 30)));
        checkExample("block-connection", PlanDocument.yaml(plan));
    }

    /** A policy already lets web reach every address, so only Cilium's deny can cut the flow. */
    @Test
    void blockConnectionCiliumExample() throws IOException {
        ActionPlan plan = BlockConnectionTest.planned(
                BlockConnectionTest.block("4d2a9e61", "shop/web-1", "egress", "203.0.113.7", 4444, "port"),
                BlockConnectionTest.shop(BlockConnectionTest.V1_30_CILIUM, BlockConnectionTest.webEgressEverywhere()));
        checkExample("block-connection-cilium", PlanDocument.yaml(plan));
    }

    /** RevokeTokenTest's cluster on 1.29: the legacy tokens are marked invalid, and every part is reversible. */
    @Test
    void revokeTokenExample() throws IOException {
        ActionPlan plan = BlockConnectionTest.planned(new RevokeToken(RevokeTokenTest.CLOCK)
                .plan(
                        RevokeTokenTest.input("web-1", RevokeTokenTest.KEEP),
                        RevokeTokenTest.cluster(RevokeTokenTest.V1_29)));
        checkExample("revoke-token", PlanDocument.yaml(plan));
    }

    /** The same cluster on 1.20, which ignores the label: the legacy tokens are deleted, for good. */
    @Test
    void revokeTokenBefore129Example() throws IOException {
        ActionPlan plan = BlockConnectionTest.planned(new RevokeToken(RevokeTokenTest.CLOCK)
                .plan(
                        RevokeTokenTest.input("web-1", RevokeTokenTest.KEEP),
                        RevokeTokenTest.cluster(RevokeTokenTest.V1_20)));
        checkExample("revoke-token-1.20", PlanDocument.yaml(plan));
    }

    /** QuarantinePodTest's shop on 1.20: no admin-tier policy, so web-ingress still lets the frontend in. */
    @Test
    void quarantinePodExample() throws IOException {
        ActionPlan plan = BlockConnectionTest.planned(QuarantinePod.INSTANCE.plan(
                QuarantinePodTest.input("7f3c2a", QuarantinePodTest.WEB_A, false),
                QuarantinePodTest.Fixture.cluster(QuarantinePodTest.OLD_SERVER)));
        checkExample("quarantine-pod", PlanDocument.yaml(plan));
    }

    /** The same pod with detach, on a server that serves AdminNetworkPolicy: nothing remains. */
    @Test
    void quarantinePodDetachedExample() throws IOException {
        ActionPlan plan = BlockConnectionTest.planned(QuarantinePod.INSTANCE.plan(
                QuarantinePodTest.input("7f3c2a", QuarantinePodTest.WEB_A, true),
                QuarantinePodTest.Fixture.cluster(QuarantinePodTest.ANP_SERVER)));
        checkExample("quarantine-pod-detach", PlanDocument.yaml(plan));
    }

    /** The fenced YAML block after {@code <!-- example: name -->} equals {@code yaml}. */
    static void checkExample(String name, String yaml) throws IOException {
        String doc = Files.readString(DOC);
        Pattern block = Pattern.compile(
                "(<!-- example: " + Pattern.quote(name) + " -->\n```yaml\n)(.*?)(```\n)", Pattern.DOTALL);
        Matcher matcher = block.matcher(doc);
        assertThat(matcher.find()).as("an example block '%s' in %s", name, DOC).isTrue();
        String body = yaml.startsWith("---\n") ? yaml.substring(4) : yaml;
        if (!matcher.group(2).equals(body) && Boolean.getBoolean("stanch.write-docs")) {
            doc = doc.substring(0, matcher.start(2)) + body + doc.substring(matcher.end(2));
            Files.writeString(DOC, doc);
            matcher = block.matcher(doc);
            assertThat(matcher.find()).isTrue();
        }
        assertThat(matcher.group(2))
                .as("example '%s' in %s (regenerate with -Dstanch.write-docs=true)", name, DOC)
                .isEqualTo(body);
    }
}
