package dev.configmanager.pipeline;

import com.codahale.metrics.MetricRegistry;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.StoreStatusListener;

import java.time.Clock;
import java.util.concurrent.CompletableFuture;

/** A pipeline on a store, as the extension builds it, for tests without a broker: publishing does nothing. */
final class Pipelines {

    private Pipelines() {}

    static ConfigPipeline on(final ConfigStore store) {
        return new ConfigPipeline(
                ExtensionSettings.defaults(),
                store,
                SchemaRegistry.empty(),
                v -> CompletableFuture.completedFuture(null),
                new MetricRegistry(),
                Clock.systemUTC(),
                new StoreStatusListener() {
                    @Override
                    public void storeAvailable() {}

                    @Override
                    public void storeUnavailable(final String reason) {}
                },
                new dev.configmanager.concurrent.ChangeNotices());
    }
}
