package dev.stanch.api;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.core.convert.converter.Converter;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * A verified bearer token → the caller: the name recorded as the actor in the audit log (the
 * principal claim, else {@code sub}) and Stanch's roles from the roles claim, through the role
 * mapping. Values that are neither a Stanch role nor mapped give nothing: a token from a shared
 * identity provider carries many roles that mean nothing here.
 */
final class JwtRoles implements Converter<Jwt, AbstractAuthenticationToken> {

    private final ApiSecurityProperties.Jwt config;
    private final List<String> rolesPath;

    JwtRoles(ApiSecurityProperties.Jwt config) {
        this.config = config;
        this.rolesPath = List.of(config.rolesClaim().split("\\."));
    }

    @Override
    public AbstractAuthenticationToken convert(Jwt jwt) {
        String name = text(jwt.getClaims().get(config.principalClaim()))
                .or(() -> text(jwt.getSubject()))
                .orElseThrow(() -> new InvalidBearerTokenException(
                        "the token names nobody: it has neither " + config.principalClaim() + " nor sub"));
        return new JwtAuthenticationToken(jwt, authorities(roles(jwt)), name);
    }

    /** Stanch's roles in the token, in the order they appear. */
    Set<ApiRole> roles(Jwt jwt) {
        Set<ApiRole> roles = new LinkedHashSet<>();
        for (String value : values(claim(jwt.getClaims(), rolesPath))) {
            String mapped = config.roleMapping().get(value);
            ApiRole.fromWireName(mapped != null ? mapped : value).ifPresent(roles::add);
        }
        return roles;
    }

    private static @Nullable Object claim(Map<String, Object> claims, List<String> path) {
        Object value = claims;
        for (String key : path) {
            if (!(value instanceof Map<?, ?> map)) {
                return null;
            }
            value = map.get(key);
        }
        return value;
    }

    /** A list of strings, or one string of names separated by spaces or commas (like {@code scope}). */
    private static List<String> values(@Nullable Object claim) {
        List<String> values = new ArrayList<>();
        if (claim instanceof Collection<?> collection) {
            collection.forEach(item -> {
                if (item instanceof String text) {
                    values.add(text.trim());
                }
            });
        } else if (claim instanceof String text) {
            for (String part : text.split("[\\s,]+")) {
                if (!part.isEmpty()) {
                    values.add(part);
                }
            }
        }
        return values;
    }

    private static Optional<String> text(@Nullable Object value) {
        return value instanceof String text && !text.isBlank() ? Optional.of(text) : Optional.empty();
    }

    private static List<GrantedAuthority> authorities(Set<ApiRole> roles) {
        return roles.stream()
                .<GrantedAuthority>map(role -> new SimpleGrantedAuthority(role.authority()))
                .toList();
    }
}
