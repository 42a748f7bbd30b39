package dev.configmanager.health;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.configmanager.config.Glob;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which clients get health and keepalive. A client id must be usable as one topic level ({@code /}, {@code +},
 * {@code #} and the empty id are not), must not be the extension's own id, must match an include pattern and no
 * exclude pattern. Clients skipped for their id are logged once.
 */
public final class TrackedClients {

    public static final String SELF = "config-manager";
    private static final Logger log = LoggerFactory.getLogger(TrackedClients.class);

    private final List<Pattern> include;
    private final List<Pattern> exclude;
    private final Cache<String, Boolean> loggedOnce = Caffeine.newBuilder().maximumSize(10_000).build();

    public TrackedClients(final List<String> include, final List<String> exclude) {
        this.include = include.stream().map(Glob::compile).toList();
        this.exclude = exclude.stream().map(Glob::compile).toList();
    }

    public boolean isTracked(final String clientId) {
        if (!isTopicLevel(clientId) || SELF.equals(clientId)) {
            if (loggedOnce.asMap().putIfAbsent(clientId, Boolean.TRUE) == null) {
                log.info("config-manager: client id '{}' is {}; it gets no health or keepalive topics",
                        clientId.replaceAll("\\p{Cntrl}", "?"),
                        SELF.equals(clientId) ? "reserved for the extension itself" : "not a valid topic level");
            }
            return false;
        }
        return matchesAny(include, clientId) && !matchesAny(exclude, clientId);
    }

    public static boolean isTopicLevel(final String id) {
        return !id.isEmpty() && id.indexOf('/') < 0 && id.indexOf('+') < 0 && id.indexOf('#') < 0
                && id.indexOf('\0') < 0;
    }

    private static boolean matchesAny(final List<Pattern> patterns, final String id) {
        for (final Pattern p : patterns) {
            if (p.matcher(id).matches()) {
                return true;
            }
        }
        return false;
    }
}
