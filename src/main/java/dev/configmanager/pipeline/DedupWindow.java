package dev.configmanager.pipeline;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.configmanager.wire.ConfigResult;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Request ids seen in the last few minutes, with the answer they got. A repeat is answered with the first answer
 * (even while that is still being worked out) and never applied again. Keyed by service and request id: ids are the
 * requester's, and a retry after a reconnect may come from a new client id.
 */
final class DedupWindow {

    private final Cache<String, CompletableFuture<ConfigResult>> answers;

    DedupWindow(final Duration window, final int maxEntries) {
        this.answers = Caffeine.newBuilder()
                .expireAfterWrite(window)
                .maximumSize(maxEntries)
                .build();
    }

    /**
     * Registers {@code answer} as the answer for this request id, or returns the answer already registered. Transient
     * failures are forgotten once known, so a retry after the store comes back is applied.
     */
    Optional<CompletableFuture<ConfigResult>> claim(
            final String service, final String requestId, final CompletableFuture<ConfigResult> answer) {
        final String key = service + '\u0000' + requestId;
        final CompletableFuture<ConfigResult> first = answers.asMap().putIfAbsent(key, answer);
        if (first != null) {
            return Optional.of(first);
        }
        answer.thenAccept(result -> {
            if (result instanceof ConfigResult.Rejected r && r.code().isTransient()) {
                answers.asMap().remove(key, answer);
            }
        });
        return Optional.empty();
    }
}
