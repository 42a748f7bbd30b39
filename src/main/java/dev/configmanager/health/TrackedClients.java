package dev.configmanager.health;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.configmanager.config.Glob;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.wire.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which clients get health and keepalive, and so a health topic of their own. A client id must have a
 * {@link #hasTopicShape topic shape}, must not be the extension's own id, must match an include pattern and no
 * exclude pattern. Clients skipped for their id are logged once.
 */
public final class TrackedClients {

    public static final String SELF = "config-manager";
    private static final Logger log = LoggerFactory.getLogger(TrackedClients.class);

    private final HealthSettings settings;
    private final List<Pattern> include;
    private final List<Pattern> exclude;
    /** Keyed by a clipped id: a flood of 64 KiB ids must not turn this cache into 64 KiB entries. */
    private final Cache<String, Boolean> loggedOnce =
            Caffeine.newBuilder().maximumSize(10_000).build();

    public TrackedClients(final HealthSettings settings) {
        this.settings = settings;
        this.include = settings.include().stream().map(Glob::compile).toList();
        this.exclude = settings.exclude().stream().map(Glob::compile).toList();
    }

    public boolean isTracked(final String clientId) {
        if (!hasTopicShape(clientId) || SELF.equals(clientId)) {
            final String shown = ClientText.escape(clientId, 80);
            if (loggedOnce.asMap().putIfAbsent(shown, Boolean.TRUE) == null) {
                log.info(
                        "config-manager: client id '{}' ({} characters) is {}; it gets no health or keepalive topics",
                        shown,
                        clientId.length(),
                        SELF.equals(clientId)
                                ? "reserved for the extension itself"
                                : "not usable as a topic level (/, +, #, empty, characters MQTT clients refuse, or "
                                        + "longer than health/max-client-id-length " + settings.maxClientIdLength()
                                        + ")");
            }
            return false;
        }
        return matchesAny(include, clientId) && !matchesAny(exclude, clientId);
    }

    /** See {@link HealthSettings#hasTopicShape}. */
    public boolean hasTopicShape(final String id) {
        return settings.hasTopicShape(id);
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
