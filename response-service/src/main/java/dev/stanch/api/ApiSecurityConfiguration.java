package dev.stanch.api;

import jakarta.servlet.DispatcherType;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import tools.jackson.databind.json.JsonMapper;

/**
 * Who may call what. Two ways in, both stateless — every request carries its credentials, no
 * session is created and no cookie is set, so there is nothing for a cross-site request to ride on
 * and CSRF protection is off (a form login or any session would need it back on):
 *
 * <ul>
 *   <li>OIDC/JWT bearer tokens, when {@code spring.security.oauth2.resourceserver.jwt.issuer-uri},
 *       {@code jwk-set-uri} or {@code public-key-location} is set (Spring Boot then makes the
 *       {@link JwtDecoder}); names and roles come from claims ({@link JwtRoles});
 *   <li>local users over HTTP Basic, with bcrypt hashes ({@code stanch.security.users}).
 * </ul>
 *
 * The rules, the first match deciding: health is open; detections are posted by detectors (and
 * admins); approve, reject and rollback need a responder; pause, resume, playbook validation and
 * reload need an admin; simulations and every GET need a viewer; anything else needs a caller. The
 * hierarchy admin ⊇ responder ⊇ viewer (and admin ⊇ detector) is {@link #roleHierarchy()}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({ApiSecurityProperties.class, ApiProperties.class})
public class ApiSecurityConfiguration {

    private static final String API = "/api/v1";

    @Bean
    static RoleHierarchy roleHierarchy() {
        return RoleHierarchyImpl.withDefaultRolePrefix()
                .role(ApiRole.ADMIN.name())
                .implies(ApiRole.RESPONDER.name(), ApiRole.DETECTOR.name())
                .role(ApiRole.RESPONDER.name())
                .implies(ApiRole.VIEWER.name())
                .build();
    }

    @Bean
    SecurityFilterChain apiSecurity(
            HttpSecurity http, ApiSecurityProperties properties, ObjectProvider<JwtDecoder> jwtDecoder, JsonMapper json)
            throws Exception {
        JwtDecoder decoder = jwtDecoder.getIfAvailable();
        ProblemResponses problems = new ProblemResponses(json, decoder != null);
        http.csrf(csrf -> csrf.disable()) // stateless, no cookies: see the class comment
                .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(cache -> cache.disable())
                .formLogin(form -> form.disable())
                .logout(logout -> logout.disable())
                .httpBasic(basic -> basic.realmName("stanch").authenticationEntryPoint(problems.entryPoint()))
                .exceptionHandling(exceptions -> exceptions
                        .authenticationEntryPoint(problems.entryPoint())
                        .accessDeniedHandler(problems.accessDenied()))
                .authorizeHttpRequests(
                        requests -> requests.dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.ASYNC)
                                .permitAll()
                                .requestMatchers(HttpMethod.GET, "/actuator/health", "/actuator/health/**")
                                .permitAll()
                                // Prometheus scrapes without credentials; the endpoint exists only where
                                // management.endpoints.web.exposure.include names it (the chart's
                                // ServiceMonitor), and the chart's NetworkPolicy bounds who reaches it.
                                .requestMatchers(HttpMethod.GET, "/actuator/prometheus")
                                .permitAll()
                                .requestMatchers(HttpMethod.POST, API + "/detections")
                                .hasRole(ApiRole.DETECTOR.name())
                                .requestMatchers(
                                        HttpMethod.POST,
                                        API + "/actions/*/approve",
                                        API + "/actions/*/reject",
                                        API + "/actions/*/rollback")
                                .hasRole(ApiRole.RESPONDER.name())
                                .requestMatchers(
                                        HttpMethod.POST,
                                        API + "/control/pause",
                                        API + "/control/resume",
                                        API + "/playbooks/validate",
                                        API + "/playbooks/reload")
                                .hasRole(ApiRole.ADMIN.name())
                                .requestMatchers(HttpMethod.POST, API + "/simulations")
                                .hasRole(ApiRole.VIEWER.name())
                                .requestMatchers(
                                        HttpMethod.GET,
                                        API + "/**",
                                        "/v3/api-docs",
                                        "/v3/api-docs/**",
                                        "/swagger-ui.html",
                                        "/swagger-ui/**")
                                .hasRole(ApiRole.VIEWER.name())
                                .anyRequest()
                                .authenticated());
        if (decoder != null) {
            http.oauth2ResourceServer(resourceServer -> resourceServer
                    .jwt(jwt -> jwt.decoder(decoder).jwtAuthenticationConverter(new JwtRoles(properties.jwt())))
                    .authenticationEntryPoint(problems.entryPoint())
                    .accessDeniedHandler(problems.accessDenied()));
        }
        return http.build();
    }

    /** The local users; empty when there are none (then only bearer tokens get in). */
    @Bean
    UserDetailsService localUsers(ApiSecurityProperties properties) {
        List<UserDetails> users = properties.users().stream()
                .map(user -> User.withUsername(user.name())
                        .password(user.encodedPassword())
                        .roles(user.apiRoles().stream().map(ApiRole::name).toArray(String[]::new))
                        .build())
                .toList();
        return new InMemoryUserDetailsManager(users);
    }

    /** Reads {@code {bcrypt}…} hashes; {@link ApiSecurityProperties.LocalUser} refuses anything else. */
    @Bean
    PasswordEncoder passwordEncoder() {
        return PasswordEncoderFactories.createDelegatingPasswordEncoder();
    }

    /**
     * The issuer every bearer token must name, for decoders that do not check one (a public key or a
     * JWK set URI); Spring Boot adds it to the decoder it makes. With {@code issuer-uri} Spring
     * checks the issuer itself.
     */
    @Bean
    @ConditionalOnProperty("stanch.security.jwt.issuer")
    OAuth2TokenValidator<Jwt> stanchIssuerValidator(ApiSecurityProperties properties) {
        return new JwtIssuerValidator(properties.jwt().issuer());
    }

    /** Bounds every request body under /api ({@code stanch.api.max-body-size}). */
    @Bean
    FilterRegistrationBean<BodySizeLimitFilter> bodySizeLimit(ApiProperties properties, JsonMapper json) {
        var registration = new FilterRegistrationBean<>(
                new BodySizeLimitFilter(properties.maxBodySize().toBytes(), new ProblemResponses(json, false)));
        registration.addUrlPatterns(API + "/*");
        registration.setOrder(Ordered.LOWEST_PRECEDENCE - 10);
        return registration;
    }
}
