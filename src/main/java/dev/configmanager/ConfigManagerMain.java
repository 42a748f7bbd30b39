package dev.configmanager;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import dev.configmanager.config.AccessSettings;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.OwnedTopics;
import dev.configmanager.config.SettingsReader;
import dev.configmanager.console.ConsoleServer;
import dev.configmanager.health.HealthService;
import dev.configmanager.health.HealthTopicGuard;
import dev.configmanager.mqtt.ConfigRequestInterceptor;
import dev.configmanager.mqtt.ConfigTopicPublisher;
import dev.configmanager.mqtt.DeniedPublishes;
import dev.configmanager.mqtt.InboundPublishRouter;
import dev.configmanager.mqtt.OwnedTopicSweep;
import dev.configmanager.mqtt.RetainedConfigSync;
import dev.configmanager.mqtt.RetainedStartScan;
import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.pipeline.SchemaRegistry;
import dev.configmanager.security.AccessPolicy;
import dev.configmanager.security.ConfigAccessAuthorizer;
import dev.configmanager.security.ConfigReadGuard;
import dev.configmanager.security.ConnectGuard;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.H2ConfigStore;
import dev.configmanager.store.SealedConfigStore;
import dev.configmanager.store.SecretCipher;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.store.UnavailableStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Wires the extension together and owns its lifecycle. Nothing a client sends can make start fail: only a defect
 * here would, and then the broker keeps running without the extension.
 */
public final class ConfigManagerMain implements ExtensionMain {

    private static final Logger log = LoggerFactory.getLogger(ConfigManagerMain.class);
    private static final long START_REPAIR_WAIT_SECONDS = 30;

    private final Path homeOverride;
    private ConfigStore store;
    private ConfigPipeline pipeline;
    private HealthService health;
    private ConsoleServer console;

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
            final var metrics = Services.metricRegistry();
            final var denied = new DeniedPublishes(metrics);
            final var schemas = SchemaRegistry.load(settings.resolveSchemaFolder(home));
            store = openStore(settings, dataFolder, schemas);
            final String storeProblem = store instanceof UnavailableStore u ? u.reason() : null;
            if (storeProblem == null) {
                applyStoredSchemas(schemas);
            }

            health = new HealthService(settings.health(), Services.publishService(), Builders::publish, metrics,
                    clock);
            final var owned = new OwnedTopics(settings.topics(), settings.health());
            final var publisher = new ConfigTopicPublisher(Services.publishService(), Builders::publish,
                    settings.topics(), store.epoch(), clock);
            pipeline = new ConfigPipeline(settings, store, schemas, publisher, metrics, clock, health.storeStatus());
            awaitStartRepairs(RetainedStartScan.run(Services.retainedMessageStore(),
                    startRepairs(owned, publisher, storeProblem)));

            final var access = new AccessPolicy(settings.access());
            final var requests = new ConfigRequestInterceptor(owned, pipeline, publisher, settings.requestTimeout(),
                    denied, access);
            final var connectGuard = new ConnectGuard(owned);
            Services.interceptorRegistry().setConnectInboundInterceptorProvider(providerInput -> connectGuard);
            final boolean rulesInForce = !settings.access().equals(AccessSettings.allowAll());
            final ConfigReadGuard readGuard = rulesInForce ? new ConfigReadGuard(settings.topics(), access) : null;
            if (rulesInForce) {
                final var authorizer = new ConfigAccessAuthorizer(settings.topics(), access);
                Services.securityRegistry().setAuthorizerProvider(providerInput -> authorizer);
            }
            final var publishes = new InboundPublishRouter(settings.health(),
                    new HealthTopicGuard(settings.health(), health.tracker(), denied), requests);
            Services.initializerRegistry().setClientInitializer((initializerInput, client) -> {
                try {
                    client.addPublishInboundInterceptor(publishes);
                    if (readGuard != null) {
                        ConfigAccessAuthorizer.keepBrokerDefaults(client.getDefaultPermissions());
                        if (readGuard.isNeededFor(initializerInput.getClientInformation().getClientId(),
                                initializerInput.getConnectionInformation())) {
                            client.addPublishOutboundInterceptor(readGuard);
                        }
                    }
                } catch (final RuntimeException e) {
                    log.error("config-manager: setting up a client failed; it is disconnected", e);
                    Services.clientService().disconnectClient(initializerInput.getClientInformation().getClientId());
                }
            });
            final var tracker = health.tracker();
            Services.eventRegistry().setClientLifecycleEventListener(providerInput -> tracker.newConnection());
            health.start(Services.extensionExecutorService(), storeProblem);
            final ConfigPipeline running = pipeline;
            console = ConsoleServer.start(settings, pipeline, store, schemas, Services.retainedMessageStore(),
                    () -> storeProblem != null ? storeProblem : running.storeWorking() ? null
                            : "the config database is unavailable; writes are rejected");
            log.info("config-manager: started; config requests on {}/<set|patch|rollback|delete>/<service>, health on "
                    + "{}/<client-id>", settings.topics().requestPrefix(), settings.health().healthPrefix());
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

    /**
     * Listeners bind only after extensions start, so waiting here means no client ever sees a retained config or
     * health topic that contradicts the database or the fact that nobody is connected yet.
     */
    private static void awaitStartRepairs(final CompletableFuture<?> repairs) {
        try {
            repairs.get(START_REPAIR_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (final TimeoutException e) {
            log.warn("config-manager: retained topics are still being repaired after {} s; continuing in the "
                    + "background", START_REPAIR_WAIT_SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final Exception e) {
            log.error("config-manager: retained topics could not be repaired at start: {}", e.toString());
        }
    }

    /**
     * What the single pass over the retained store at start repairs: owned topics holding what this version would
     * never publish, config topics that differ from the database (when it can be read), and health left over from
     * before the restart.
     */
    private List<RetainedStartScan.Visitor> startRepairs(final OwnedTopics owned,
                                                         final ConfigTopicPublisher publisher,
                                                         final String storeProblem) {
        final List<RetainedStartScan.Visitor> repairs = new ArrayList<>();
        repairs.add(new OwnedTopicSweep(Services.retainedMessageStore(), owned, health::hasTopicShape));
        repairs.add(health.staleHealthSweep());
        if (storeProblem == null) {
            try {
                repairs.add(new RetainedConfigSync(publisher, owned.topics(), store.epoch(), store.allCurrent()));
            } catch (final StoreUnavailableException e) {
                log.error("config-manager: the current configs could not be read at start ({}); the retained config "
                        + "topics are served as they are", e.getMessage());
            }
        }
        return repairs;
    }

    private void applyStoredSchemas(final SchemaRegistry schemas) {
        try {
            schemas.applyStored(store.schemas());
        } catch (final StoreUnavailableException e) {
            log.error("config-manager: schemas set through the console could not be read ({}); the files in "
                    + "conf/schemas apply", e.getMessage());
        }
    }

    /** The H2 store with secrets sealed, or a stand-in that refuses writes and says why. */
    private static ConfigStore openStore(final ExtensionSettings settings, final Path dataFolder,
                                         final SchemaRegistry schemas) {
        final Path database = settings.resolveDatabase(dataFolder);
        final SecretCipher cipher;
        try {
            cipher = SecretCipher.load(settings.secretsKey(), settings.resolveSecretsKeyFile(dataFolder));
        } catch (final Exception e) {
            if (settings.secretsKey() != null) {
                // the message of a failed base64 decode can quote the key: never logged
                log.error("config-manager: <secrets><key> is not a base64 32-byte key. Config writes are rejected "
                        + "with store_unavailable until it is fixed; then restart the broker.");
            } else {
                log.error("config-manager: the secrets key {} cannot be read ({}). Config writes are rejected with "
                        + "store_unavailable until it is restored (or <secrets><key> is set); then restart the "
                        + "broker.", settings.resolveSecretsKeyFile(dataFolder), e.getMessage());
            }
            return new UnavailableStore("the secrets key cannot be read");
        }
        try {
            return new SealedConfigStore(H2ConfigStore.open(database, settings.auditMaxRows()), cipher,
                    schemas::secretLocations);
        } catch (final StoreUnavailableException e) {
            log.error("config-manager: {}. Config writes are rejected with store_unavailable and the retained config "
                    + "topics are served as they are. Check that no other process uses {}.mv.db, that the broker "
                    + "may write to its folder, and restore the file from a backup if it is damaged; then restart the "
                    + "broker.", e.getMessage(), database);
            return new UnavailableStore(e.getMessage());
        }
    }

    private void close() {
        if (console != null) {
            console.stop();
            console = null;
        }
        if (health != null) {
            health.stop();
            health = null;
        }
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
