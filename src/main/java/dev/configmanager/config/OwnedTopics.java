package dev.configmanager.config;

/**
 * The topic families that belong to the extension: requests (everything under the request prefix), current configs,
 * results, health and keepalive. No client publishes there, no Last Will lands there, and the extension never
 * publishes there on a client's say-so (an MQTT 5 response topic).
 */
public record OwnedTopics(TopicLayout topics, HealthSettings health) {

    /** MQTT encodes a topic's length in two bytes: a longer topic can be stored by HiveMQ but never delivered. */
    public static final int MAX_TOPIC_BYTES = 65_535;

    public boolean isOwned(final String topic) {
        return TopicLayout.isUnder(topic, topics.requestPrefix())
                || topics.isExtensionOwned(topic)
                || TopicLayout.isUnder(topic, health.healthPrefix())
                || TopicLayout.isUnder(topic, health.keepalivePrefix());
    }

    /**
     * Whether the extension may send a result to this MQTT 5 response topic. A topic it owns would let a client make
     * the extension publish there past every authorizer, and {@code $} topics belong to the broker.
     */
    public boolean isAllowedResponseTopic(final String topic) {
        return !topic.startsWith("$") && !isOwned(topic);
    }

    /** Whether MQTT can encode {@code topic} at all (a UTF-8 length of at most 65,535 bytes). */
    public static boolean fitsMqtt(final String topic) {
        return topic.length() <= MAX_TOPIC_BYTES / 3
                || topic.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_TOPIC_BYTES;
    }
}
