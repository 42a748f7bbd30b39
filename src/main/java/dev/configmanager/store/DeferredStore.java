package dev.configmanager.store;

import dev.configmanager.concurrent.Threads;
import dev.configmanager.wire.ConfigResult;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A shared database that could not be opened at start: until it can, every call is refused with {@link
 * StoreUnavailableException} (writes answer {@code store_unavailable}, the retained configs are served as they are);
 * in the background it is opened again every few seconds, and once it is, it is the store, its followers are
 * attached, and whoever waits for it ({@link #whenOpened}) brings the broker up to date. No restart needed.
 */
public final class DeferredStore implements ConfigStore {

    private static final Logger log = LoggerFactory.getLogger(DeferredStore.class);
    static final long RETRY_MILLIS = 3_000;

    /** Opens the store; throws while the database cannot be used. */
    interface Opener {
        ConfigStore open() throws StoreUnavailableException;
    }

    private final Opener opener;
    private final SessionOpener sessions;
    private final ScheduledExecutorService retry =
            Executors.newSingleThreadScheduledExecutor(Threads.factory("config-manager-store-open"));
    private final List<Consumer<ConfigVersion>> followers = new ArrayList<>();
    private final List<Consumer<ConfigStore>> waiting = new ArrayList<>();
    /** The feeds of the followers attached at opening; stopped with this store. */
    private final List<AutoCloseable> feeds = new ArrayList<>();

    private volatile @Nullable ConfigStore opened;
    private volatile String reason;
    private boolean closed;

    /**
     * Presence and the publisher role need no open store, only the server: each works (and retries) on a connection
     * of its own.
     */
    interface SessionOpener {
        SharedPresence presence(String node);

        PublisherRole publisherRole();
    }

    DeferredStore(final Opener opener, final SessionOpener sessions, final String reason) {
        this.opener = opener;
        this.sessions = sessions;
        this.reason = reason;
        retry.schedule(this::tryOpen, RETRY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Why the database is not open yet, or {@code null} once it is. */
    public @Nullable String reason() {
        return opened == null ? reason : null;
    }

    /** Runs {@code then} with the opened store once it is open (at once if it is); on the opening thread. */
    public void whenOpened(final Consumer<ConfigStore> then) {
        final ConfigStore now;
        synchronized (this) {
            now = opened;
            if (now == null) {
                waiting.add(then);
                return;
            }
        }
        then.accept(now);
    }

    private void tryOpen() {
        final ConfigStore store;
        try {
            store = opener.open();
        } catch (final StoreUnavailableException | RuntimeException e) {
            reason = e.getMessage();
            log.debug("config-manager: the config database still cannot be opened: {}", e.getMessage());
            retry.schedule(this::tryOpen, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            return;
        }
        final List<Consumer<ConfigStore>> then;
        synchronized (this) {
            if (closed) {
                store.close();
                return;
            }
            // followers first: nothing committed from here on can fall between them and the catch-up that follows
            for (final Consumer<ConfigVersion> follower : followers) {
                try {
                    feeds.add(store.follow(follower));
                } catch (final StoreUnavailableException e) {
                    log.error("config-manager: the change log cannot be followed: {}", e.getMessage());
                }
            }
            opened = store;
            then = List.copyOf(waiting);
            waiting.clear();
        }
        log.info("config-manager: the config database is open now; writes are accepted");
        for (final Consumer<ConfigStore> t : then) {
            try {
                t.accept(store);
            } catch (final RuntimeException e) {
                log.error("config-manager: bringing the broker up to date with the database failed", e);
            }
        }
    }

    private ConfigStore store() throws StoreUnavailableException {
        final ConfigStore s = opened;
        if (s == null) {
            throw new StoreUnavailableException("the config database is unavailable: " + reason, null);
        }
        return s;
    }

    /**
     * The database's epoch, or {@code unavailable} (as {@link UnavailableStore} says) before it is open: nothing is
     * published before, only the console's status shows it.
     */
    @Override
    public String epoch() {
        final ConfigStore s = opened;
        return s == null ? "unavailable" : s.epoch();
    }

    @Override
    public Optional<ConfigVersion> current(final String service) throws StoreUnavailableException {
        return store().current(service);
    }

    @Override
    public List<ConfigVersion> allCurrent() throws StoreUnavailableException {
        return store().allCurrent();
    }

    @Override
    public Optional<ConfigVersion> version(final String service, final long version) throws StoreUnavailableException {
        return store().version(service, version);
    }

    @Override
    public List<ConfigVersion> history(final String service, final int limit) throws StoreUnavailableException {
        return store().history(service, limit);
    }

    @Override
    public List<AuditRecord> audit(final String service, final String outcome, final int limit)
            throws StoreUnavailableException {
        return store().audit(service, outcome, limit);
    }

    @Override
    public Map<String, Long> rejectionsSince(final Instant since) throws StoreUnavailableException {
        return store().rejectionsSince(since);
    }

    @Override
    public List<ClientReport> recordReports(final List<ClientReport> reports, final int maxClientsPerService)
            throws StoreUnavailableException, WriteRefusedException {
        return store().recordReports(reports, maxClientsPerService);
    }

    @Override
    public List<StoredReport> reports() throws StoreUnavailableException {
        return store().reports();
    }

    @Override
    public int forgetReports(final String clientId) throws StoreUnavailableException {
        return store().forgetReports(clientId);
    }

    @Override
    public Map<String, String> schemas() throws StoreUnavailableException {
        return store().schemas();
    }

    @Override
    public void putSchema(final String service, final String schemaJson, final AuditRecord audit)
            throws StoreUnavailableException {
        store().putSchema(service, schemaJson, audit);
    }

    @Override
    public void commit(
            final List<ConfigVersion> versions, final List<AuditRecord> audit, final List<RequestAnswer> answers)
            throws StoreUnavailableException, WriteRefusedException {
        store().commit(versions, audit, answers);
    }

    @Override
    public Map<String, ConfigResult> answered(
            final String service, final Collection<String> requestIds, final Instant now)
            throws StoreUnavailableException {
        return store().answered(service, requestIds, now);
    }

    @Override
    public void exportTo(final StoreContent.Sink sink, final boolean withAudit)
            throws StoreUnavailableException, IOException {
        store().exportTo(sink, withAudit);
    }

    @Override
    public long importFrom(final StoreContent.Source source) throws StoreUnavailableException, IOException {
        return store().importFrom(source);
    }

    /** Followed from when the database is open (or now, if it is). */
    @Override
    public synchronized AutoCloseable follow(final Consumer<ConfigVersion> changed) throws StoreUnavailableException {
        if (opened != null) {
            return opened.follow(changed);
        }
        followers.add(changed);
        return () -> {}; // its feed, once there is one, stops when this store is closed
    }

    @Override
    public Optional<SharedPresence> presence(final String node) {
        return Optional.of(sessions.presence(node));
    }

    @Override
    public Optional<PublisherRole> publisherRole() {
        return Optional.of(sessions.publisherRole());
    }

    @Override
    public void close() {
        retry.shutdownNow();
        final ConfigStore s;
        synchronized (this) {
            closed = true;
            s = opened;
            for (final AutoCloseable feed : feeds) {
                try {
                    feed.close();
                } catch (final Exception e) {
                    log.warn("config-manager: stopping the change feed failed: {}", e.toString());
                }
            }
        }
        if (s != null) {
            s.close();
        }
    }
}
