package dev.stanch.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.stanch.ledger.Ledger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Bearer tokens as an OIDC provider (Keycloak's claim layout) issues them: RS256 with a key pair made
 * here, the public key given to Spring Boot by {@code public-key-location}, roles read from the
 * nested {@code realm_access.roles} with one mapped name, the caller's name from {@code
 * preferred_username}. Local users keep working beside them.
 */
class JwtApiIT extends ApiHarness {

    private static final String ISSUER = "https://idp.example.test/realms/stanch";
    private static final KeyPair KEYS = rsa();
    private static final KeyPair OTHER_KEYS = rsa();

    @Autowired
    Ledger ledger;

    @DynamicPropertySource
    static void bearerTokens(DynamicPropertyRegistry registry) {
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location", JwtApiIT::publicKeyFile);
        registry.add("stanch.security.jwt.issuer", () -> ISSUER);
        registry.add("stanch.security.jwt.roles-claim", () -> "realm_access.roles");
        registry.add("stanch.security.jwt.role-mapping.stanch-oncall", () -> "responder");
    }

    @Test
    void rolesComeFromTheNestedClaim() {
        String viewer = token(roles("viewer", "offline_access"), claims -> {});
        assertThat(bearer(viewer, "GET", "/api/v1/actions", null).status()).isEqualTo(200);
        Response approve = bearer(viewer, "POST", "/api/v1/actions/" + UUID.randomUUID() + "/approve", reason("ok"));
        assertThat(approve.status()).isEqualTo(403);
        assertThat(approve.json().path("detail").asString()).startsWith("carol has no role that may POST");
    }

    @Test
    void aMappedRoleNameGivesTheStanchRole() {
        String oncall = token(roles("stanch-oncall"), claims -> {});
        Response approve = bearer(oncall, "POST", "/api/v1/actions/" + UUID.randomUUID() + "/approve", reason("ok"));
        assertThat(approve.status())
                .as("past security: the action does not exist")
                .isEqualTo(404);
    }

    @Test
    void rolesThatAreNotStanchsGiveNothing() {
        String other = token(roles("offline_access", "uma_authorization"), claims -> {});
        assertThat(bearer(other, "GET", "/api/v1/actions", null).status()).isEqualTo(403);
    }

    @Test
    void theActorIsThePreferredUsernameElseTheSubject() {
        try {
            Response paused =
                    bearer(token(roles("admin"), claims -> {}), "POST", "/api/v1/control/pause", reason("drill"));
            assertThat(paused.status()).as(paused.toString()).isEqualTo(200);
            assertThat(paused.json().path("pause").path("by").asString()).isEqualTo("carol");
            ledger.resume("jwt-test", "drill over");

            String noName = token(roles("admin"), claims -> claims.claim("preferred_username", null));
            Response bySubject = bearer(noName, "POST", "/api/v1/control/pause", reason("drill"));
            assertThat(bySubject.json().path("pause").path("by").asString()).isEqualTo("user-42");
        } finally {
            ledger.resume("jwt-test", "drill over");
        }
    }

    @Test
    void noPersonActsAsOneOfStanchsComponents() {
        String impostor = token(roles("responder"), claims -> claims.claim("preferred_username", "stanch:executor"));
        Response response = bearer(impostor, "POST", "/api/v1/actions/" + UUID.randomUUID() + "/approve", reason("me"));
        assertThat(response.status()).isEqualTo(403);
        assertThat(response.json().path("code").asString()).isEqualTo("reserved-actor");
    }

    @Test
    void anExpiredTokenIs401() {
        Instant past = Instant.now().minus(Duration.ofHours(2));
        String expired = token(
                roles("viewer"),
                claims ->
                        claims.issueTime(Date.from(past)).expirationTime(Date.from(past.plus(Duration.ofMinutes(5)))));

        Response response = bearer(expired, "GET", "/api/v1/actions", null);

        assertThat(response.status()).isEqualTo(401);
        assertThat(response.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(response.json().path("detail").asString())
                .startsWith("the bearer token was refused: ")
                .containsIgnoringCase("expired");
        assertThat(response.raw().headers().allValues("WWW-Authenticate"))
                .anySatisfy(value -> assertThat(value).startsWith("Bearer error=\"invalid_token\""));
    }

    @Test
    void aTokenFromAnotherIssuerIs401() {
        String foreign = token(roles("admin"), claims -> claims.issuer("https://idp.example.test/realms/other"));
        Response response = bearer(foreign, "GET", "/api/v1/actions", null);
        assertThat(response.status()).isEqualTo(401);
        assertThat(response.json().path("detail").asString()).contains("iss");
    }

    @Test
    void aTokenSignedWithAnotherKeyIs401() {
        String forged = sign(OTHER_KEYS, claims(roles("admin")).build());
        assertThat(bearer(forged, "GET", "/api/v1/actions", null).status()).isEqualTo(401);
    }

    @Test
    void localUsersStillGetIn() {
        assertThat(get("viewer", "/api/v1/actions").status()).isEqualTo(200);
    }

    // ---------------------------------------------------------------------------------------------

    private Response bearer(String token, String method, String path, String body) {
        return send(
                null, method, path, body, body == null ? null : "application/json", "Authorization", "Bearer " + token);
    }

    private static Map<String, Object> roles(String... roles) {
        return Map.of("roles", List.of(roles));
    }

    private static JWTClaimsSet.Builder claims(Map<String, Object> realmAccess) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject("user-42")
                .audience("stanch")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
                .claim("preferred_username", "carol")
                .claim("realm_access", realmAccess);
    }

    private static String token(Map<String, Object> realmAccess, Consumer<JWTClaimsSet.Builder> change) {
        JWTClaimsSet.Builder claims = claims(realmAccess);
        change.accept(claims);
        return sign(KEYS, claims.build());
    }

    private static String sign(KeyPair keys, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
            jwt.sign(new RSASSASigner((RSAPrivateKey) keys.getPrivate()));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The public key as PEM in a file, as an operator would mount it. */
    private static String publicKeyFile() {
        try {
            Path file = Files.createTempFile("stanch-jwt", ".pem");
            Files.writeString(
                    file,
                    "-----BEGIN PUBLIC KEY-----\n"
                            + Base64.getMimeEncoder(64, "\n".getBytes())
                                    .encodeToString(KEYS.getPublic().getEncoded())
                            + "\n-----END PUBLIC KEY-----\n");
            file.toFile().deleteOnExit();
            return "file:" + file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
