package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

/** The security configuration is checked at start: a mistake stops the service with a message that names it. */
class ApiSecurityPropertiesTest {

    private static final String HASH = new BCryptPasswordEncoder(4).encode("secret");

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(ApiSecurityProperties.class)
    static class Properties {}

    private final ApplicationContextRunner context =
            new ApplicationContextRunner().withUserConfiguration(Properties.class);

    @Test
    void aValidConfigurationBinds() {
        context.withPropertyValues(
                        "stanch.security.users[0].name=alice",
                        "stanch.security.users[0].password-hash=" + HASH,
                        "stanch.security.users[0].roles=responder,detector",
                        "stanch.security.jwt.roles-claim=realm_access.roles",
                        "stanch.security.jwt.role-mapping.sre-oncall=responder")
                .run(started -> {
                    assertThat(started).hasNotFailed();
                    ApiSecurityProperties properties = started.getBean(ApiSecurityProperties.class);
                    assertThat(properties.users().getFirst().apiRoles())
                            .containsExactly(ApiRole.RESPONDER, ApiRole.DETECTOR);
                    assertThat(properties.jwt().principalClaim()).isEqualTo("preferred_username");
                    assertThat(properties.jwt().roleMapping()).containsEntry("sre-oncall", "responder");
                });
    }

    @Test
    void aRoleThatDoesNotExistStopsTheStart() {
        context.withPropertyValues(
                        "stanch.security.users[0].name=alice",
                        "stanch.security.users[0].password-hash=" + HASH,
                        "stanch.security.users[0].roles=operator")
                .run(started -> assertThat(started)
                        .getFailure()
                        .rootCause()
                        .hasMessage(
                                "stanch.security.users: user \"alice\" has unknown role \"operator\" (roles: viewer,"
                                        + " responder, admin, detector)"));
    }

    @Test
    void aPasswordInPlainTextStopsTheStart() {
        context.withPropertyValues(
                        "stanch.security.users[0].name=alice",
                        "stanch.security.users[0].password-hash=hunter2",
                        "stanch.security.users[0].roles=viewer")
                .run(started -> assertThat(started)
                        .getFailure()
                        .rootCause()
                        .hasMessageStartingWith(
                                "stanch.security.users: user \"alice\": password-hash must be a bcrypt" + " hash")
                        .hasMessageNotContaining("hunter2"));
    }

    @Test
    void aMappingToAnUnknownRoleStopsTheStart() {
        context.withPropertyValues("stanch.security.jwt.role-mapping.sre=superuser")
                .run(started -> assertThat(started).getFailure().rootCause().hasMessageContaining("sre: superuser"));
    }

    @Test
    void aNameReservedForStanchsComponentsStopsTheStart() {
        context.withPropertyValues(
                        "stanch.security.users[0].name=stanch:executor",
                        "stanch.security.users[0].password-hash=" + HASH,
                        "stanch.security.users[0].roles=admin")
                .run(started ->
                        assertThat(started).getFailure().rootCause().hasMessageContaining("Stanch's own components"));
    }
}
