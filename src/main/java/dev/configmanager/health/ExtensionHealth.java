package dev.configmanager.health;

import dev.configmanager.store.StoreStatusListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The extension's own health on {@code system/health/config-manager}: ok while it can store configs, not ok (with the
 * reason in {@code err}) while its database is unavailable, and {@code shutdown} when it stops.
 */
final class ExtensionHealth implements StoreStatusListener {

    private static final Logger log = LoggerFactory.getLogger(ExtensionHealth.class);

    private final HealthPublisher publisher;
    private final AtomicLong ordinals;

    ExtensionHealth(final HealthPublisher publisher, final AtomicLong ordinals) {
        this.publisher = publisher;
        this.ordinals = ordinals;
    }

    void started(final String storeProblem) {
        if (storeProblem == null) {
            publish(true, "started", null);
        } else {
            publish(false, "store_unavailable", storeProblem);
        }
    }

    @Override
    public void storeAvailable() {
        publish(true, "store_available", null);
    }

    @Override
    public void storeUnavailable(final String reason) {
        publish(false, "store_unavailable", reason);
    }

    /** Published while stopping; waits briefly so the retained state is in place before the extension is gone. */
    void shutdown() {
        try {
            publish(false, "shutdown", null).get(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final Exception e) {
            log.warn("config-manager: shutdown health could not be published: {}", e.toString());
        }
    }

    private CompletableFuture<Void> publish(final boolean ok, final String event, final String err) {
        return publisher.publish(TrackedClients.SELF, ordinals.incrementAndGet(), ok, event, err);
    }
}
