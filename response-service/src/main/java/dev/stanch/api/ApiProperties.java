package dev.stanch.api;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The REST API's own settings, from {@code stanch.api.*}.
 *
 * @param maxBodySize the largest request body accepted (413 beyond it). Default: 1MB — a detector
 *     event is a few kilobytes, a simulation of a few hundred events fits
 */
@ConfigurationProperties("stanch.api")
public record ApiProperties(DataSize maxBodySize) {

    public ApiProperties {
        maxBodySize = maxBodySize == null ? DataSize.ofMegabytes(1) : maxBodySize;
        if (maxBodySize.toBytes() < 1) {
            throw new IllegalArgumentException("stanch.api.max-body-size must be positive, not " + maxBodySize);
        }
    }
}
