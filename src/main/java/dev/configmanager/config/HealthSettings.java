package dev.configmanager.config;

import java.time.Duration;
import java.util.List;

/**
 * Health and keepalive for every tracked client.
 *
 * @param include client-id patterns ({@code *} any run of characters, {@code ?} one character) that are tracked
 * @param exclude client-id patterns that are not tracked even when included
 */
public record HealthSettings(String healthPrefix, String keepalivePrefix, Duration keepaliveInterval,
                             List<String> include, List<String> exclude) {

    public static final String DEFAULT_HEALTH_PREFIX = "system/health";
    public static final String DEFAULT_KEEPALIVE_PREFIX = "system/keepalive";
    public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(10);
    public static final Duration MIN_KEEPALIVE_INTERVAL = Duration.ofMillis(100);

    public HealthSettings {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
    }

    public static HealthSettings defaults() {
        return new HealthSettings(DEFAULT_HEALTH_PREFIX, DEFAULT_KEEPALIVE_PREFIX, DEFAULT_KEEPALIVE_INTERVAL,
                List.of("*"), List.of());
    }

    public String healthTopic(final String clientId) {
        return healthPrefix + "/" + clientId;
    }

    public String keepaliveTopic(final String clientId) {
        return keepalivePrefix + "/" + clientId;
    }
}
