package dev.configmanager;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import dev.configmanager.backup.StoreTransfer;
import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.ExtensionVersion;
import dev.configmanager.config.OwnedTopics;
import dev.configmanager.config.SettingsReader;
import dev.configmanager.console.ConsoleServer;
import dev.configmanager.drift.DriftMetrics;
import dev.configmanager.drift.FleetDrift;
import dev.configmanager.drift.ForgottenReports;
import dev.configmanager.health.FleetClients;
import dev.configmanager.health.HealthService;
import dev.configmanager.health.HealthTopicGuard;
import dev.configmanager.mqtt.ConfigRequestInterceptor;
import dev.configmanager.mqtt.ConfigTopicPublisher;
import dev.configmanager.mqtt.DeniedPublishes;
import dev.configmanager.mqtt.InboundPublishRouter;
import dev.configmanager.mqtt.OtherBrokersChanges;
import dev.configmanager.mqtt.OwnedTopicSweep;
import dev.configmanager.mqtt.RetainedConfigSync;
import dev.configmanager.mqtt.RetainedStartScan;
import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.pipeline.SchemaRegistry;
import dev.configmanager.security.AccessPolicy;
import dev.configmanager.security.SigningKey;
import dev.configmanager.security.UpdateSigning;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.DeferredStore;
import dev.configmanager.store.PresenceLog;
import dev.configmanager.store.SharedPresence;
import dev.configmanager.store.StoreOpening;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Wires the extension together and owns its lifecycle. Nothing a client sends can make start fail: only a defect
 * here would, and then the broker keeps running without the extension.
 */
public final class ConfigManagerMain implements ExtensionMain {

    private static final Logger log = LoggerFactory.getLogger(ConfigManagerMain.class);
    private static final Duration START_REPAIR_WAIT = Duration.ofSeconds(30);

    private final Path homeOverride;
    private ConfigStore store;
    private ConfigPipeline pipeline;
    private HealthService health;
    private ConsoleServer console;
    private AutoCloseable changes;
    private SharedPresence presence;
    private DriftMetrics driftMetrics;
    private ForgottenReports forgottenReports;

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
            final Path home = homeOverride != null
                    ? homeOverride
                    : input.getExtensionInformation().getExtensionHomeFolder().toPath();
            final ExtensionSettings settings = SettingsReader.read(home.resolve("conf/config.xml"));
            final Clock clock = Clock.systemUTC();
            final var metrics = Services.metricRegistry();
            final var retained = Services.retainedMessageStore();
            final var notices = new ChangeNotices();
            final var schemas = SchemaRegistry.load(settings.resolveSchemaFolder(home));
            final Path dataFolder = input.getServerInformation().getDataFolder().toPath();
            store = StoreOpening.open(settings, dataFolder, schemas::secretLocations);
            final ConfigStore opened = store;
            final String storeProblem = StoreOpening.problem(store);
            if (storeProblem == null) {
                schemas.applyStoredFrom(store);
            }

            // named only where there are other brokers: the host-name lookup is not worth a start of its own
            presence = settings.sharedDatabase() == null
                    ? null
                    : store.presence(NodeName.of(settings, input.getServerInformation()))
                            .orElse(null);
            health = new HealthService(
                    settings.health(),
                    Services.publishService(),
                    Builders::publish,
                    metrics,
                    clock,
                    presence == null ? PresenceLog.NONE : presence,
                    retained,
                    notices);
            final var owned = new OwnedTopics(settings.topics(), settings.health());
            final SigningKey signer = UpdateSigning.open(settings.signing(), dataFolder);
            final var publisher = new ConfigTopicPublisher(
                    Services.publishService(),
                    Builders::publish,
                    settings.topics(),
                    opened::epoch,
                    clock,
                    signer,
                    notices);
            pipeline = new ConfigPipeline(
                    settings, store, schemas, publisher, metrics, clock, health.storeStatus(), notices);
            changes = OtherBrokersChanges.follow(
                    store,
                    pipeline,
                    publisher,
                    settings.sharedDatabase() != null
                            && settings.sharedDatabase().singlePublisher());
            RetainedStartScan.runAndWait(retained, startRepairs(owned, publisher, storeProblem), START_REPAIR_WAIT);

            final var access = new AccessPolicy(settings.access());
            final var denied = new DeniedPublishes(metrics);
            final var requests =
                    new ConfigRequestInterceptor(owned, pipeline, publisher, settings.requestTimeout(), denied, access);
            BrokerHooks.register(
                    settings,
                    owned,
                    access,
                    new InboundPublishRouter(
                            settings.health(),
                            new HealthTopicGuard(settings.health(), health.tracker(), denied),
                            requests),
                    health.tracker());
            health.start(Services.extensionExecutorService(), storeProblem);
            final ConfigPipeline running = pipeline;
            final var fleetClients = new FleetClients(retained, settings.health(), presence);
            final var drift = new FleetDrift(store, fleetClients, settings.drift());
            driftMetrics = new DriftMetrics(drift, metrics);
            driftMetrics.start();
            forgottenReports = new ForgottenReports(store, fleetClients);
            forgottenReports.start();
            health.tracker().onForgotten(forgottenReports::forgotten);
            final var transfer = new StoreTransfer(
                    store,
                    schemas::check,
                    settings.resolveDatabase(dataFolder).getParent(),
                    presence,
                    () -> {
                        running.storeReplaced();
                        catchUp(opened, schemas, publisher, owned);
                    },
                    clock);
            console = ConsoleServer.start(new ConsoleServer.Parts(
                    settings,
                    pipeline,
                    store,
                    schemas,
                    retained,
                    () -> {
                        final String problem = StoreOpening.problem(opened);
                        return problem != null || running.storeWorking()
                                ? problem
                                : "the config database is unavailable; writes are rejected";
                    },
                    presence,
                    signer,
                    health,
                    transfer,
                    metrics,
                    notices,
                    drift));
            if (store instanceof DeferredStore deferred) {
                deferred.whenOpened(db -> catchUp(db, schemas, publisher, owned));
            }
            log.info(
                    "config-manager {}: started; config requests on {}/<set|patch|rollback|delete>/<service>, health "
                            + "on {}/<client-id>",
                    ExtensionVersion.get(),
                    settings.topics().requestPrefix(),
                    settings.health().healthPrefix());
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
     * What the single pass over the retained store at start repairs: owned topics holding what this version would
     * never publish, config topics that differ from the database (when it can be read), and health left over from
     * before the restart.
     */
    private List<RetainedStartScan.Visitor> startRepairs(
            final OwnedTopics owned, final ConfigTopicPublisher publisher, final String storeProblem) {
        final List<RetainedStartScan.Visitor> repairs = new ArrayList<>();
        repairs.add(new OwnedTopicSweep(Services.retainedMessageStore(), owned, health::hasTopicShape));
        repairs.add(health.staleHealthSweep());
        if (storeProblem == null) {
            RetainedConfigSync.of(publisher, owned.topics(), store).ifPresent(repairs::add);
        }
        return repairs;
    }

    /**
     * A shared database that could not be opened at start is open now, or an import filled the store: its schemas are
     * put in force, the retained config topics made equal to it (the change feed already follows it), and writes
     * accepted again.
     */
    private void catchUp(
            final ConfigStore db,
            final SchemaRegistry schemas,
            final ConfigTopicPublisher publisher,
            final OwnedTopics owned) {
        schemas.applyStoredFrom(db);
        RetainedConfigSync.of(publisher, owned.topics(), db)
                .ifPresent(sync -> RetainedStartScan.runAndWait(
                        Services.retainedMessageStore(), List.of(sync), START_REPAIR_WAIT));
        final ConfigPipeline running = pipeline;
        if (running != null) {
            running.storeOpened();
        }
    }

    private void close() {
        if (driftMetrics != null) {
            driftMetrics.close();
            driftMetrics = null;
        }
        if (forgottenReports != null) {
            forgottenReports.close();
            forgottenReports = null;
        }
        if (changes != null) {
            try {
                changes.close();
            } catch (final Exception e) {
                log.warn("config-manager: stopping the change feed failed: {}", e.toString());
            }
            changes = null;
        }
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
        if (presence != null) {
            presence.close();
            presence = null;
        }
        if (store != null) {
            store.close();
            store = null;
        }
    }
}
