package dev.configmanager.config;

import java.time.Duration;
import java.util.List;

/**
 * Health and keepalive for every tracked client.
 *
 * @param maxClientIdLength longer client ids (in characters) are not tracked: HiveMQ accepts ids up to 65,535 bytes,
 *                          and a retained topic longer than MQTT can encode makes HiveMQ disconnect every subscriber
 *                          whose filter matches it
 * @param include           client-id patterns ({@code *} any run of characters, {@code ?} one character) that are
 *                          tracked
 * @param exclude           client-id patterns that are not tracked even when included
 */
public record HealthSettings(
        String healthPrefix,
        String keepalivePrefix,
        Duration keepaliveInterval,
        int maxClientIdLength,
        List<String> include,
        List<String> exclude) {

    public static final String DEFAULT_HEALTH_PREFIX = "system/health";
    public static final String DEFAULT_KEEPALIVE_PREFIX = "system/keepalive";
    public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(10);
    public static final Duration MIN_KEEPALIVE_INTERVAL = Duration.ofMillis(100);
    public static final int DEFAULT_MAX_CLIENT_ID_LENGTH = 256;

    public HealthSettings {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
    }

    public static HealthSettings defaults() {
        return new HealthSettings(
                DEFAULT_HEALTH_PREFIX,
                DEFAULT_KEEPALIVE_PREFIX,
                DEFAULT_KEEPALIVE_INTERVAL,
                DEFAULT_MAX_CLIENT_ID_LENGTH,
                List.of("*"),
                List.of());
    }

    public String healthTopic(final String clientId) {
        return healthPrefix + "/" + clientId;
    }

    public String keepaliveTopic(final String clientId) {
        return keepalivePrefix + "/" + clientId;
    }
}
