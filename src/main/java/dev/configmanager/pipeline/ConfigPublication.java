package dev.configmanager.pipeline;

import dev.configmanager.store.ConfigVersion;

import java.util.concurrent.CompletableFuture;

/** Makes a stored version visible to services (the retained {@code config/updated} topic). */
public interface ConfigPublication {

    /** Completes when the version (or, for a deletion, the cleared topic) is in place. */
    CompletableFuture<Void> publish(ConfigVersion version);
}
