package dev.stanch.kubernetes;

import dev.stanch.chart.StanchChart;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Stanch as the real API server sees it in production: a service account bound to nothing but the
 * chart's ClusterRole (helm/stanch/templates/clusterrole.yaml, as Helm renders it for release {@code
 * it}). Tests that act through {@link #client()} prove that the role is enough.
 */
public final class StanchIdentity {

    static final String NAMESPACE = "stanch-it";

    /** The user name the API server gives Stanch's account (what its audit log records). */
    static final String USER = "system:serviceaccount:" + NAMESPACE + ":stanch";

    private final KubernetesClient client;
    private final String namespace;

    private StanchIdentity(KubernetesClient client, String namespace) {
        this.client = client;
        this.namespace = namespace;
    }

    /** Creates (once per server) the role, its binding and the account, and a client acting as it. */
    public static synchronized StanchIdentity of(KubeApiServer kube) {
        KubernetesClient admin = kube.admin();
        ClusterRole role = StanchChart.objects(
                        StanchChart.template("it", NAMESPACE, KubeBinaries.VERSION, ""), ClusterRole.class)
                .getFirst();
        admin.rbac().clusterRoles().resource(role).serverSideApply();
        String namespace = NAMESPACE;
        if (admin.namespaces().withName(namespace).get() == null) {
            admin.namespaces()
                    .resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                            .withNewMetadata()
                            .withName(namespace)
                            .endMetadata()
                            .build())
                    .create();
        }
        admin.rbac()
                .clusterRoleBindings()
                .resource(new ClusterRoleBindingBuilder()
                        .withNewMetadata()
                        .withName("it-stanch")
                        .endMetadata()
                        .withNewRoleRef()
                        .withApiGroup("rbac.authorization.k8s.io")
                        .withKind("ClusterRole")
                        .withName(role.getMetadata().getName())
                        .endRoleRef()
                        .addNewSubject()
                        .withKind("ServiceAccount")
                        .withName("stanch")
                        .withNamespace(namespace)
                        .endSubject()
                        .build())
                .serverSideApply();
        return new StanchIdentity(kube.clientFor(namespace, "stanch"), namespace);
    }

    /** A client that is allowed exactly what the chart's ClusterRole allows. */
    public KubernetesClient client() {
        return client;
    }

    String namespace() {
        return namespace;
    }
}
