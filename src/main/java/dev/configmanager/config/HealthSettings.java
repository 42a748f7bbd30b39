package dev.configmanager.config;

import dev.configmanager.wire.ClientText;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Health and keepalive for every tracked client.
 *
 * @param maxClientIdLength longer client ids (in characters) are not tracked: HiveMQ accepts ids up to 65,535 bytes,
 *                          and a retained topic longer than MQTT can encode makes HiveMQ disconnect every subscriber
 *                          whose filter matches it
 * @param include           client-id patterns ({@code *} any run of characters, {@code ?} one character) that are
 *                          tracked
 * @param exclude           client-id patterns that are not tracked even when included
 * @param forgetAfter       a client disconnected this long loses its retained health (and its row in the console);
 *                          {@link Duration#ZERO}: never
 * @param aliases           client id → one extra health topic ({@code <health><alias>}): the client may publish its
 *                          health there too, and every health state of the client is published on both topics (for
 *                          services whose health topic is not named after their client id, such as py-tars's
 *                          {@code system/health/tts} from client {@code tars-tts})
 */
public record HealthSettings(
        String healthPrefix,
        String keepalivePrefix,
        Duration keepaliveInterval,
        int maxClientIdLength,
        List<String> include,
        List<String> exclude,
        Duration forgetAfter,
        Map<String, String> aliases) {

    public static final String DEFAULT_HEALTH_PREFIX = "system/health";
    public static final String DEFAULT_KEEPALIVE_PREFIX = "system/keepalive";
    public static final Duration DEFAULT_KEEPALIVE_INTERVAL = Duration.ofSeconds(10);
    public static final Duration MIN_KEEPALIVE_INTERVAL = Duration.ofMillis(100);
    public static final int DEFAULT_MAX_CLIENT_ID_LENGTH = 256;
    public static final Duration DEFAULT_FORGET_AFTER = Duration.ofDays(7);

    public HealthSettings {
        include = List.copyOf(include);
        exclude = List.copyOf(exclude);
        aliases = Map.copyOf(aliases);
    }

    public static HealthSettings defaults() {
        return new HealthSettings(
                DEFAULT_HEALTH_PREFIX,
                DEFAULT_KEEPALIVE_PREFIX,
                DEFAULT_KEEPALIVE_INTERVAL,
                DEFAULT_MAX_CLIENT_ID_LENGTH,
                List.of("*"),
                List.of(),
                DEFAULT_FORGET_AFTER,
                Map.of());
    }

    /**
     * Whether the extension could publish this client's health and keepalive at all: one topic level, only
     * characters every MQTT client decodes, at most {@code max-client-id-length} characters, and both topics within
     * what MQTT can encode (so also with a long configured prefix).
     */
    public boolean hasTopicShape(final String id) {
        return !id.isEmpty()
                && id.length() <= maxClientIdLength
                && id.indexOf('/') < 0
                && id.indexOf('+') < 0
                && id.indexOf('#') < 0
                && ClientText.isSafe(id)
                && OwnedTopics.fitsMqtt(healthTopic(id))
                && OwnedTopics.fitsMqtt(keepaliveTopic(id));
    }

    public String healthTopic(final String clientId) {
        return healthPrefix + "/" + clientId;
    }

    /** The client's extra health topic, if it has one. */
    public Optional<String> aliasTopic(final String clientId) {
        return Optional.ofNullable(aliases.get(clientId));
    }

    public String keepaliveTopic(final String clientId) {
        return keepalivePrefix + "/" + clientId;
    }
}
