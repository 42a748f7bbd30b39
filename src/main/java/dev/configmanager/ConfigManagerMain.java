package dev.configmanager;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.SettingsReader;
import dev.configmanager.mqtt.ConfigRequestInterceptor;
import dev.configmanager.mqtt.ConfigTopicPublisher;
import dev.configmanager.mqtt.RetainedConfigSync;
import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.pipeline.SchemaRegistry;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.H2ConfigStore;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.store.UnavailableStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Wires the extension together and owns its lifecycle. Nothing a client sends can make start fail: only a defect
 * here would, and then the broker keeps running without the extension.
 */
public final class ConfigManagerMain implements ExtensionMain {

    private static final Logger log = LoggerFactory.getLogger(ConfigManagerMain.class);
    private static final long START_SYNC_WAIT_SECONDS = 30;

    private final Path homeOverride;
    private ConfigStore store;
    private ConfigPipeline pipeline;

    /** Used by HiveMQ's extension loader: the home folder comes from the broker. */
    public ConfigManagerMain() {
        this(null);
    }

    /** For an embedded broker, whose extensions have no home folder of their own. */
    public ConfigManagerMain(final Path extensionHome) {
        this.homeOverride = extensionHome;
    }

    @Override
    public void extensionStart(final ExtensionStartInput input, final ExtensionStartOutput output) {
        try {
            final Path home = homeOverride != null ? homeOverride
                    : input.getExtensionInformation().getExtensionHomeFolder().toPath();
            final ExtensionSettings settings = SettingsReader.read(home.resolve("conf/config.xml"));
            final Path dataFolder = input.getServerInformation().getDataFolder().toPath();
            final Clock clock = Clock.systemUTC();
            store = openStore(settings.resolveDatabase(dataFolder), settings.auditMaxRows());
            final var schemas = SchemaRegistry.load(settings.resolveSchemaFolder(home));
            final var publisher = new ConfigTopicPublisher(Services.publishService(), Builders::publish,
                    settings.topics(), store.epoch(), clock);
            pipeline = new ConfigPipeline(settings, store, schemas, publisher, Services.metricRegistry(), clock);
            if (!(store instanceof UnavailableStore)) {
                syncRetained(new RetainedConfigSync(Services.retainedMessageStore(), publisher, settings.topics(),
                        store.epoch()));
            }
            final var interceptor = new ConfigRequestInterceptor(settings.topics(), pipeline, publisher,
                    settings.requestTimeout(), Services.metricRegistry().counter("dev.configmanager.publishes.denied"));
            Services.initializerRegistry().setClientInitializer(
                    (initializerInput, clientContext) -> clientContext.addPublishInboundInterceptor(interceptor));
            log.info("config-manager: started; requests on {}/<set|patch|rollback|delete>/<service>, current config "
                    + "retained on {}/<service>", settings.topics().requestPrefix(), settings.topics().updatedPrefix());
        } catch (final Exception e) {
            log.error("config-manager: could not start; the broker runs without it", e);
            close();
            output.preventExtensionStartup("config-manager failed to start: " + e);
        }
    }

    @Override
    public void extensionStop(final ExtensionStopInput input, final ExtensionStopOutput output) {
        try {
            close();
            log.info("config-manager: stopped");
        } catch (final RuntimeException e) {
            log.error("config-manager: error while stopping", e);
        }
    }

    private void syncRetained(final RetainedConfigSync sync) {
        // Listeners bind only after extensions start, so waiting here means no client sees a stale config topic.
        try {
            sync.run(store).get(START_SYNC_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (final TimeoutException e) {
            log.warn("config-manager: retained config topics are still being brought in line with the database; "
                    + "continuing in the background");
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final Exception e) {
            log.error("config-manager: retained config topics could not be brought in line with the database: {}",
                    e.toString());
        }
    }

    private static ConfigStore openStore(final Path database, final int auditMaxRows) {
        try {
            return H2ConfigStore.open(database, auditMaxRows);
        } catch (final StoreUnavailableException e) {
            log.error("config-manager: {}. Config writes are rejected with store_unavailable and the retained config "
                    + "topics are served as they are. Check that no other process uses {}.mv.db, that the broker "
                    + "may write to its folder, and restore the file from a backup if it is damaged; then restart the "
                    + "broker.", e.getMessage(), database);
            return new UnavailableStore(e.getMessage());
        }
    }

    private void close() {
        if (pipeline != null) {
            pipeline.close();
            pipeline = null;
        }
        if (store != null) {
            store.close();
            store = null;
        }
    }
}
