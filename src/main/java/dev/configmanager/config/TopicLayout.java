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

    /** Clients report what they applied on {@code <requestPrefix>/applied/<service>} (SPEC §8). */
    public static final String APPLIED_LEVEL = "applied";

    public enum Action {
        SET,
        PATCH,
        ROLLBACK,
        DELETE,
        /** A topic under the request prefix whose action level is none of the others: refused, never delivered. */
        UNKNOWN;

        public String topicLevel() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static Optional<Action> ofLevel(final String level) {
            for (final Action a : values()) {
                if (a != UNKNOWN && a.topicLevel().equals(level)) {
                    return Optional.of(a);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * A request topic taken apart; {@code service} is everything after the action level (possibly empty, possibly
     * with more levels) and is not yet validated.
     */
    public record RequestTopic(Action action, String service) {}

    /**
     * Every topic under the request prefix is the extension's: a request with a known action, or one with
     * {@link Action#UNKNOWN} (a typo, a missing level) that is answered {@code invalid_request}. The updated and result
     * topics, which may live under the same prefix, are not requests.
     */
    public Optional<RequestTopic> parseRequest(final String topic) {
        if (!isUnder(topic, requestPrefix) || isExtensionOwned(topic)) {
            return Optional.empty();
        }
        final String rest = belowRequestPrefix(topic);
        final int slash = rest.indexOf('/');
        final String level = slash < 0 ? rest : rest.substring(0, slash);
        final String service = slash < 0 ? "" : rest.substring(slash + 1);
        if (level.equals(APPLIED_LEVEL)) {
            return Optional.empty(); // a report, not a request: see appliedService
        }
        return Optional.of(new RequestTopic(Action.ofLevel(level).orElse(Action.UNKNOWN), service));
    }

    /**
     * The service of a report topic ({@code <requestPrefix>/applied/<service>}): everything after the level, possibly
     * empty or with more levels, not yet validated. Empty for any other topic.
     */
    public Optional<String> appliedService(final String topic) {
        final String head = requestPrefix + "/" + APPLIED_LEVEL;
        if (!isUnder(topic, head) || isExtensionOwned(topic)) {
            return Optional.empty();
        }
        return Optional.of(topic.length() > head.length() ? topic.substring(head.length() + 1) : "");
    }

    /**
     * Why this layout cannot work, if it cannot: an owned prefix that contains the request prefix or lies where a
     * request with a known action would be read, or one owned prefix inside the other.
     */
    public Optional<String> conflict() {
        for (final String owned : new String[] {updatedPrefix, resultPrefix}) {
            if (isUnder(requestPrefix, owned)) {
                return Optional.of("'" + owned + "' contains the request prefix '" + requestPrefix + "'");
            }
            final String level = isUnder(owned, requestPrefix)
                    ? belowRequestPrefix(owned + "/").split("/", -1)[0]
                    : "";
            if (isUnder(owned, requestPrefix) && (Action.ofLevel(level).isPresent() || level.equals(APPLIED_LEVEL))) {
                return Optional.of("'" + owned + "' lies where requests under '" + requestPrefix + "' are read");
            }
        }
        if (isUnder(updatedPrefix, resultPrefix) || isUnder(resultPrefix, updatedPrefix)) {
            return Optional.of("'" + updatedPrefix + "' and '" + resultPrefix + "' overlap");
        }
        return Optional.empty();
    }

    /** The part of a topic under the request prefix after its {@code /}; empty for the prefix itself. */
    private String belowRequestPrefix(final String topic) {
        return topic.length() > requestPrefix.length() ? topic.substring(requestPrefix.length() + 1) : "";
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

    /** The service of a {@code config/updated/<service>} or {@code config/result/<service>} topic, if it is one. */
    public Optional<String> serviceOfOwnedTopic(final String topic) {
        return serviceOfUpdatedTopic(topic).or(() -> serviceBelow(topic, resultPrefix));
    }

    /** The service of a retained {@code config/updated/<service>} topic, if it is one. */
    public Optional<String> serviceOfUpdatedTopic(final String topic) {
        return serviceBelow(topic, updatedPrefix);
    }

    private static Optional<String> serviceBelow(final String topic, final String prefix) {
        if (topic.length() > prefix.length() && topic.startsWith(prefix) && topic.charAt(prefix.length()) == '/') {
            final String service = topic.substring(prefix.length() + 1);
            return service.indexOf('/') < 0 ? Optional.of(service) : Optional.empty();
        }
        return Optional.empty();
    }

    /** Which configs a subscription filter could deliver from the extension's own topics. */
    public sealed interface ReadScope {
        /** The filter matches none of {@code config/updated/+} or {@code config/result/+}. */
        record None() implements ReadScope {}

        /** The filter matches exactly this service's topics. */
        record Service(String name) implements ReadScope {}

        /** The filter matches every service's topics (a wildcard at the service level or above). */
        record All() implements ReadScope {}
    }

    public ReadScope readScope(final String filter) {
        final String[] levels = unshared(filter).split("/", -1);
        ReadScope scope = new ReadScope.None();
        for (final String prefix : new String[] {updatedPrefix, resultPrefix}) {
            final ReadScope s = scopeUnder(levels, prefix.split("/", -1));
            if (s instanceof ReadScope.All) {
                return s;
            }
            if (s instanceof ReadScope.Service) {
                scope = s;
            }
        }
        return scope;
    }

    private static ReadScope scopeUnder(final String[] filter, final String[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (i >= filter.length) {
                return new ReadScope.None();
            }
            if (filter[i].equals("#")) {
                return new ReadScope.All();
            }
            if (!filter[i].equals("+") && !filter[i].equals(prefix[i])) {
                return new ReadScope.None();
            }
        }
        final int rest = filter.length - prefix.length;
        if (rest == 0) {
            return new ReadScope.None();
        }
        final String level = filter[prefix.length];
        final boolean endsHere = rest == 1 || (rest == 2 && filter[prefix.length + 1].equals("#"));
        if (level.equals("#")) {
            return new ReadScope.All();
        }
        if (!endsHere) {
            return new ReadScope.None(); // service topics have exactly one level below the prefix
        }
        return level.equals("+") ? new ReadScope.All() : new ReadScope.Service(level);
    }

    /** {@code $share/<group>/<filter>} subscribes to {@code <filter>}. */
    private static String unshared(final String filter) {
        if (filter.startsWith("$share/")) {
            final int slash = filter.indexOf('/', "$share/".length());
            return slash < 0 ? filter : filter.substring(slash + 1);
        }
        return filter;
    }

    /** Whether {@code topic} is {@code prefix} itself or a topic below it. */
    public static boolean isUnder(final String topic, final String prefix) {
        return topic.startsWith(prefix) && (topic.length() == prefix.length() || topic.charAt(prefix.length()) == '/');
    }
}
