package dev.stanch.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Who may call the REST API, from {@code stanch.security.*}: local users (HTTP Basic, bcrypt) and
 * how to read roles and names from JWT bearer tokens. Validated when bound, so that a mistake — a
 * role that does not exist, a password that is not a bcrypt hash — stops the service at start with a
 * message that names it, instead of locking people out later.
 *
 * @param users local users; empty when every caller comes with a token
 * @param jwt how bearer tokens map to Stanch's names and roles (used when {@code
 *     spring.security.oauth2.resourceserver.jwt.*} configures a token decoder)
 */
@ConfigurationProperties("stanch.security")
public record ApiSecurityProperties(List<LocalUser> users, Jwt jwt) {

    /** The prefix of the actors Stanch's own components write in the audit log. */
    static final String RESERVED_ACTOR_PREFIX = "stanch:";

    public ApiSecurityProperties {
        users = users == null ? List.of() : List.copyOf(users);
        jwt = jwt == null ? new Jwt(null, null, null, null) : jwt;
        Set<String> names = new HashSet<>();
        for (LocalUser user : users) {
            if (!names.add(user.name())) {
                throw new IllegalArgumentException(
                        "stanch.security.users: user \"" + user.name() + "\" is listed twice");
            }
        }
    }

    /**
     * One local user, for HTTP Basic.
     *
     * @param name the user name: also the actor recorded in the audit log
     * @param passwordHash the bcrypt hash of the password ({@code $2a$…}, {@code $2b$…}, {@code $2y$…},
     *     optionally with Spring's {@code {bcrypt}} prefix); never the password itself
     * @param roles the user's roles: viewer, responder, admin, detector
     */
    public record LocalUser(String name, String passwordHash, List<String> roles) {

        private static final Pattern BCRYPT = Pattern.compile("(\\{bcrypt})?\\$2[aby]?\\$\\d{2}\\$[./A-Za-z0-9]{53}");

        public LocalUser {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("stanch.security.users: a user has no name");
            }
            if (name.startsWith(RESERVED_ACTOR_PREFIX)) {
                throw new IllegalArgumentException(
                        "stanch.security.users: user \"" + name + "\": names starting with \"" + RESERVED_ACTOR_PREFIX
                                + "\" are Stanch's own components in the audit log");
            }
            if (passwordHash == null || !BCRYPT.matcher(passwordHash).matches()) {
                throw new IllegalArgumentException("stanch.security.users: user \"" + name
                        + "\": password-hash must be a bcrypt hash ($2a$10$… or {bcrypt}$2a$10$…), never the"
                        + " password; make one with: htpasswd -bnBC 10 '' 'the password' | tr -d ':\\n'");
            }
            if (roles == null || roles.isEmpty()) {
                throw new IllegalArgumentException(
                        "stanch.security.users: user \"" + name + "\" has no roles (roles: " + ApiRole.names() + ")");
            }
            for (String role : roles) {
                if (ApiRole.fromWireName(role).isEmpty()) {
                    throw new IllegalArgumentException("stanch.security.users: user \"" + name
                            + "\" has unknown role \"" + role + "\" (roles: " + ApiRole.names() + ")");
                }
            }
            roles = List.copyOf(roles);
        }

        List<ApiRole> apiRoles() {
            return roles.stream()
                    .map(role -> ApiRole.fromWireName(role).orElseThrow())
                    .toList();
        }

        /** The hash as Spring's delegating encoder reads it. */
        String encodedPassword() {
            return passwordHash.startsWith("{bcrypt}") ? passwordHash : "{bcrypt}" + passwordHash;
        }
    }

    /**
     * How a bearer token's claims become a name and roles.
     *
     * @param rolesClaim the claim with the roles: a list of strings, or one string of names separated
     *     by spaces or commas; a dotted path reaches into objects ({@code realm_access.roles} for
     *     Keycloak). Default: {@code roles}
     * @param principalClaim the claim with the caller's name, recorded as the actor in the audit log;
     *     {@code sub} when the token lacks it. Default: {@code preferred_username}
     * @param roleMapping the identity provider's role or group names → Stanch's roles, for names that
     *     are not Stanch's own ({@code sre-oncall: responder}). A value that is a Stanch role name needs
     *     no entry; any other value is ignored
     * @param issuer the {@code iss} every token must carry, for decoders that do not check it already
     *     (a {@code public-key-location} or {@code jwk-set-uri}; with {@code issuer-uri} Spring checks it)
     */
    public record Jwt(
            String rolesClaim,
            String principalClaim,
            Map<String, String> roleMapping,
            @Nullable String issuer) {

        public Jwt {
            rolesClaim = rolesClaim == null || rolesClaim.isBlank() ? "roles" : rolesClaim;
            principalClaim = principalClaim == null || principalClaim.isBlank() ? "preferred_username" : principalClaim;
            roleMapping = roleMapping == null ? Map.of() : new LinkedHashMap<>(roleMapping);
            List<String> unknown = new ArrayList<>();
            roleMapping.forEach((from, to) -> {
                if (ApiRole.fromWireName(to).isEmpty()) {
                    unknown.add(from + ": " + to);
                }
            });
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("stanch.security.jwt.role-mapping maps to unknown roles (" + unknown
                        + "); roles: " + ApiRole.names());
            }
            roleMapping = Map.copyOf(roleMapping);
            issuer = issuer == null || issuer.isBlank() ? null : issuer;
        }
    }
}
