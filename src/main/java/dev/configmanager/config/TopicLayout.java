package dev.configmanager.config;

import java.util.Optional;

/**
 * Where the config topics live, and what a client-published topic means to the extension.
 *
 * @param requestPrefix requests are {@code <requestPrefix>/<set|patch|rollback|delete>/<service>}
 * @param updatedPrefix retained current config is {@code <updatedPrefix>/<service>}
 * @param resultPrefix  results without an MQTT 5 response topic go to {@code <resultPrefix>/<service>}
 */
public record TopicLayout(String requestPrefix, String updatedPrefix, String resultPrefix) {

    public static final TopicLayout DEFAULT = new TopicLayout("config", "config/updated", "config/result");

    public enum Action {
        SET, PATCH, ROLLBACK, DELETE;

        public String topicLevel() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Optional<Action> ofLevel(final String level) {
            for (final Action a : values()) {
                if (a.topicLevel().equals(level)) {
                    return Optional.of(a);
                }
            }
            return Optional.empty();
        }
    }

    /** A request topic taken apart; {@code service} is everything after the action level and is not yet validated. */
    public record RequestTopic(Action action, String service) {
    }

    public Optional<RequestTopic> parseRequest(final String topic) {
        if (!topic.startsWith(requestPrefix) || topic.length() <= requestPrefix.length()
                || topic.charAt(requestPrefix.length()) != '/') {
            return Optional.empty();
        }
        final String rest = topic.substring(requestPrefix.length() + 1);
        final int slash = rest.indexOf('/');
        final String level = slash < 0 ? rest : rest.substring(0, slash);
        final String service = slash < 0 ? "" : rest.substring(slash + 1);
        return Action.ofLevel(level).map(action -> new RequestTopic(action, service));
    }

    /** Topics only the extension may publish to. */
    public boolean isExtensionOwned(final String topic) {
        return isUnder(topic, updatedPrefix) || isUnder(topic, resultPrefix);
    }

    public String updatedTopic(final String service) {
        return updatedPrefix + "/" + service;
    }

    public String resultTopic(final String service) {
        return resultPrefix + "/" + service;
    }

    /** The service of a retained {@code config/updated/<service>} topic, if it is one. */
    public Optional<String> serviceOfUpdatedTopic(final String topic) {
        if (topic.startsWith(updatedPrefix + "/")) {
            final String service = topic.substring(updatedPrefix.length() + 1);
            return service.indexOf('/') < 0 ? Optional.of(service) : Optional.empty();
        }
        return Optional.empty();
    }

    private static boolean isUnder(final String topic, final String prefix) {
        return topic.equals(prefix) || topic.startsWith(prefix + "/");
    }
}
