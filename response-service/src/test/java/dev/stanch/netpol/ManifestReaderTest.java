package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestReaderTest {

    @Test
    void readsMultiDocumentFilesListsAndTypedLists() {
        ManifestReader.Manifests read = ManifestReader.read("all.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: a}
            ---
            # a comment-only document is no document
            ---
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: v1, kind: Namespace, metadata: {name: b}}
            - apiVersion: networking.k8s.io/v1
              kind: NetworkPolicy
              metadata: {name: p, namespace: b}
              spec: {podSelector: {}}
            ---
            apiVersion: v1
            kind: PodList
            items:
            - metadata: {name: pod-1, namespace: a, creationTimestamp: 2018-03-25T11:24:27Z}
              spec: {containers: [{name: c, image: i}]}
            """);
        assertThat(read.warnings()).isEmpty();
        assertThat(read.objects())
                .extracting(HasMetadata::getClass)
                .containsExactly(Namespace.class, Namespace.class, NetworkPolicy.class, Pod.class);
        assertThat(read.objects().getLast().getMetadata().getCreationTimestamp())
                .isEqualTo("2018-03-25T11:24:27Z");
    }

    @Test
    void readsOldApiVersionsAndTheClusterWidePolicyKinds() {
        ManifestReader.Manifests read = ManifestReader.read("old.yaml", """
            apiVersion: extensions/v1beta1
            kind: Deployment
            metadata: {name: d}
            spec: {template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c, image: i}]}}}
            ---
            apiVersion: policy.networking.k8s.io/v1alpha1
            kind: BaselineAdminNetworkPolicy
            metadata: {name: default}
            spec: {subject: {namespaces: {}}}
            """);
        assertThat(read.warnings()).isEmpty();
        assertThat(read.objects())
                .extracting(HasMetadata::getClass)
                .containsExactly(Deployment.class, GenericKubernetesResource.class);
    }

    @Test
    void skipsWhatItCannotUseAndSaysWhereItWas() {
        ManifestReader.Manifests read = ManifestReader.read("mixed.yaml", """
            apiVersion: v1
            kind: Service
            metadata: {name: quietly-ignored}
            ---
            just a string
            ---
            apiVersion: projectcalico.org/v3
            kind: NetworkPolicy
            metadata: {name: calico, namespace: x}
            ---
            kind: Pod
            metadata: {name: no-version}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {labels: {a: b}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: bad-replicas}
            spec: {replicas: many}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: bad-operator, namespace: x}
            spec:
              podSelector: {matchExpressions: [{key: a, operator: Equals, values: [b]}]}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: bad-cidr, namespace: x}
            spec:
              podSelector: {}
              ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/40}}]}]
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: survivor}
            ---
            key: [unclosed
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: lost-after-the-syntax-error}
            """);
        assertThat(read.objects())
                .extracting(object -> object.getMetadata().getName())
                .containsExactly("survivor");
        assertThat(read.warnings())
                .containsExactly(
                        "mixed.yaml: document 2: not a Kubernetes object; skipped",
                        "mixed.yaml: document 3 (NetworkPolicy x/calico): projectcalico.org/v3 NetworkPolicy is not"
                                + " a kind the policy engine evaluates; skipped",
                        "mixed.yaml: document 4 (Pod): no apiVersion; skipped",
                        "mixed.yaml: document 5 (Pod): no metadata.name; skipped",
                        "mixed.yaml: document 6 (Deployment bad-replicas): malformed (Cannot deserialize value of"
                                + " type `java.lang.Integer` from String \"many\": not a valid `java.lang.Integer`"
                                + " value); skipped",
                        "mixed.yaml: document 7 (NetworkPolicy x/bad-operator):"
                                + " spec.podSelector.matchExpressions[0]: unknown operator 'Equals' (In, NotIn,"
                                + " Exists, DoesNotExist); skipped",
                        "mixed.yaml: document 8 (NetworkPolicy x/bad-cidr): spec.ingress[0].from[0].ipBlock.cidr:"
                                + " prefix length out of range in '10.0.0.0/40'; skipped",
                        "mixed.yaml: document 10 and after: not valid YAML (while parsing a flow sequence); skipped");
    }

    @Test
    void readsOnlyManifestFilesOfADirectoryTree(@TempDir Path directory) throws IOException {
        Files.createDirectories(directory.resolve("nested"));
        Files.writeString(directory.resolve("nested/ns.yml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
        Files.writeString(
                directory.resolve("ns.json"),
                "{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"b\"}}");
        Files.writeString(directory.resolve("notes.md"), "| not | yaml |");
        Files.write(directory.resolve("binary.yaml"), new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        ManifestReader.Manifests read = ManifestReader.read(directory);
        assertThat(read.objects())
                .extracting(object -> object.getMetadata().getName())
                .containsExactly("a", "b"); // files in path order: nested/ns.yml, then ns.json
        assertThat(read.warnings()).containsExactly(directory.resolve("binary.yaml") + ": not UTF-8 text; skipped");
    }
}
