package dev.stanch.action;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.Subject;
import org.junit.jupiter.api.Test;

/** The three ways a binding names an account, as the RBAC authorizer reads them. */
class ServiceAccountUserTest {

    private final ServiceAccountUser web = new ServiceAccountUser("shop", "web");

    @Test
    void aServiceAccountSubjectWithItsNamespace() {
        assertThat(web.isSubject(new Subject(null, "ServiceAccount", "web", "shop"), null))
                .isTrue();
        assertThat(web.isSubject(new Subject(null, "ServiceAccount", "web", "billing"), "shop"))
                .isFalse();
        assertThat(web.isSubject(new Subject(null, "ServiceAccount", "api", "shop"), "shop"))
                .isFalse();
    }

    @Test
    void aServiceAccountSubjectWithoutNamespaceOnlyInARoleBindingOfTheAccountsNamespace() {
        Subject implicit = new Subject(null, "ServiceAccount", "web", null);

        assertThat(web.isSubject(implicit, "shop")).isTrue();
        assertThat(web.isSubject(implicit, "billing")).isFalse();
        assertThat(web.isSubject(implicit, null)).isFalse();
        assertThat(web.isSubject(new Subject(null, "ServiceAccount", "web", ""), "shop"))
                .isTrue();
    }

    @Test
    void aUserSubjectNamedAsTheAccountAuthenticates() {
        assertThat(web.isSubject(
                        new Subject("rbac.authorization.k8s.io", "User", "system:serviceaccount:shop:web", null), null))
                .isTrue();
        assertThat(web.isSubject(new Subject("rbac.authorization.k8s.io", "User", "web", null), "shop"))
                .isFalse();
        // A Group of that name is not the user.
        assertThat(web.isSubject(
                        new Subject("rbac.authorization.k8s.io", "Group", "system:serviceaccount:shop:web", null),
                        null))
                .isFalse();
    }

    @Test
    void theGroupsEveryTokenOfTheAccountIsIn() {
        assertThat(web.groups())
                .containsExactly("system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated");
        assertThat(web.inGroup(new Subject("rbac.authorization.k8s.io", "Group", "system:serviceaccounts:shop", null)))
                .isTrue();
        assertThat(web.inGroup(
                        new Subject("rbac.authorization.k8s.io", "Group", "system:serviceaccounts:billing", null)))
                .isFalse();
        assertThat(web.inGroup(new Subject("rbac.authorization.k8s.io", "User", "system:authenticated", null)))
                .isFalse();
    }
}
