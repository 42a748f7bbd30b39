package dev.configmanager.security;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.configmanager.wire.ClientText;

import java.time.Duration;

/**
 * Whether a line about a client should be logged now: at most once a minute per client, so a client that repeats a
 * refused action cannot fill the log. Keyed by a clipped id, so a flood of 64 KiB client ids cannot fill memory either.
 */
public final class OncePerMinute {

    private final Cache<String, Boolean> logged = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1))
            .maximumSize(10_000)
            .build();

    public boolean first(final String clientId) {
        return logged.asMap().putIfAbsent(ClientText.escape(clientId, 80), Boolean.TRUE) == null;
    }
}
