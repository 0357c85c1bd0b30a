package dev.stanch.action;

import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A ServiceAccount as the RBAC authorizer sees it: a user name and three groups. A binding can name
 * the account in three ways, and all three grant it the role, so revoking must find all three (the
 * rules are those of the authorizer's {@code appliesToUser}, k8s.io/kubernetes
 * pkg/registry/rbac/validation/rule.go).
 *
 * @param namespace the account's namespace
 * @param name the account's name
 */
record ServiceAccountUser(String namespace, String name) {

    /** The name an account's requests are authenticated as. */
    String userName() {
        return "system:serviceaccount:" + namespace + ":" + name;
    }

    /** The groups every token of the account authenticates into, whatever its bindings. */
    List<String> groups() {
        return List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated");
    }

    /**
     * True when the subject is this account.
     *
     * @param subject a subject of a binding
     * @param bindingNamespace the RoleBinding's namespace, or null for a ClusterRoleBinding
     */
    boolean isSubject(Subject subject, @Nullable String bindingNamespace) {
        if (Subjects.isServiceAccount(subject, namespace, name)) {
            return true;
        }
        // A RoleBinding may leave a ServiceAccount subject's namespace out (validation allows it
        // there, not in a ClusterRoleBinding): the authorizer then takes the binding's own.
        boolean namespaceDefaulted = "ServiceAccount".equals(subject.getKind())
                && name.equals(subject.getName())
                && (subject.getNamespace() == null || subject.getNamespace().isEmpty())
                && namespace.equals(bindingNamespace);
        // A User subject matches on the user name alone, and an account's user name is this.
        boolean asUser = "User".equals(subject.getKind()) && userName().equals(subject.getName());
        return namespaceDefaulted || asUser;
    }

    /** True when the subject is a group that every token of the account belongs to. */
    boolean inGroup(Subject subject) {
        return "Group".equals(subject.getKind()) && groups().contains(subject.getName());
    }

    @Override
    public String toString() {
        return "ServiceAccount " + namespace + "/" + name;
    }
}
