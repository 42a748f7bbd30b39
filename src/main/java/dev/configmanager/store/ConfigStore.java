package dev.configmanager.store;

import dev.configmanager.wire.ConfigResult;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The durable truth: current config per service, every version, and the audit log. Kept narrow on purpose so that a
 * shared SQL database can stand in for the embedded one (SPEC §8).
 */
public interface ConfigStore extends AutoCloseable {

    /** The most characters a stored config may have, sealed secrets included (its column's size). */
    int MAX_CONFIG_CHARS = 1_048_576;

    /** A UUID fixed for the life of this database. */
    String epoch();

    /** The latest version of a service (possibly a deletion), or empty when it never had a config. */
    Optional<ConfigVersion> current(String service) throws StoreUnavailableException;

    /** The latest version of every service that ever had a config, deletions included. */
    List<ConfigVersion> allCurrent() throws StoreUnavailableException;

    Optional<ConfigVersion> version(String service, long version) throws StoreUnavailableException;

    /** Newest first. */
    List<ConfigVersion> history(String service, int limit) throws StoreUnavailableException;

    /** The newest audit lines first, optionally only for one service and/or one outcome. */
    List<AuditRecord> audit(String service, String outcome, int limit) throws StoreUnavailableException;

    /** How many requests were rejected since {@code since}, by service (from the audit log). */
    default Map<String, Long> rejectionsSince(final Instant since) throws StoreUnavailableException {
        return Map.of();
    }

    /**
     * Stores each client's latest report of what it applied (durably, one sync for all of them), over the client's
     * previous report on that service. A client new to a service is refused while the service has reports of
     * {@code maxClientsPerService} clients.
     *
     * @return the reports refused for that bound; nothing of them was kept
     * @throws WriteRefusedException the database works but refused these rows; nothing was kept
     */
    List<ClientReport> recordReports(List<ClientReport> reports, int maxClientsPerService)
            throws StoreUnavailableException, WriteRefusedException;

    /** The latest report of every client on every service, by service and client. */
    List<StoredReport> reports() throws StoreUnavailableException;

    /** Forgets every report of a client that is gone for good; how many there were. */
    int forgetReports(String clientId) throws StoreUnavailableException;

    /** Schemas set through the console, by service. */
    Map<String, String> schemas() throws StoreUnavailableException;

    /** Stores (durably) a service's schema, with an audit line. */
    void putSchema(String service, String schemaJson, AuditRecord audit) throws StoreUnavailableException;

    /**
     * Stores new versions and audit records atomically and durably: when this returns, they are synced to disk. One
     * call is one sync, however many writes it carries (group commit).
     *
     * @throws WriteRefusedException the database works but refused these rows; nothing was kept
     */
    default void commit(final List<ConfigVersion> versions, final List<AuditRecord> audit)
            throws StoreUnavailableException, WriteRefusedException {
        commit(versions, audit, List.of());
    }

    /**
     * {@link #commit(List, List)}, and on a store several brokers share, the answers to the request ids of the commit
     * in the same transaction (a store only this broker writes has its own memory for them, and ignores them).
     *
     * @throws RequestAnsweredException another broker answered one of these request ids first; nothing was kept
     */
    void commit(List<ConfigVersion> versions, List<AuditRecord> audit, List<RequestAnswer> answers)
            throws StoreUnavailableException, WriteRefusedException;

    /**
     * The stored answers to these request ids of one service that have not expired at {@code now} (see {@link
     * #commit(List, List, List)}); always empty on a store that keeps none.
     */
    default Map<String, ConfigResult> answered(
            final String service, final Collection<String> requestIds, final Instant now)
            throws StoreUnavailableException {
        return Map.of();
    }

    /**
     * Follows the versions other writers (other brokers on a shared database) commit to this store from now on:
     * {@code changed} gets them in commit order, once committed, each at most once, and for every service its newest
     * (of several versions of one service read together, only the newest is delivered: a follower behind by a burst
     * catches up with one publish per service). What this store commits itself is not delivered (its caller has it).
     * A store that only this process writes has nothing to follow.
     *
     * @return stops following
     */
    default AutoCloseable follow(final Consumer<ConfigVersion> changed) throws StoreUnavailableException {
        return () -> {};
    }

    /**
     * Where this broker records its clients' presence for the other brokers of a shared database, named {@code node}
     * among them; empty for a store only this broker uses. The caller closes it.
     */
    default Optional<SharedPresence> presence(final String node) {
        return Optional.empty();
    }

    /**
     * The role of the one broker that publishes what the others commit (a shared database in a cluster with one
     * retained store); empty for a store only this broker uses. The caller closes it.
     */
    default Optional<PublisherRole> publisherRole() {
        return Optional.empty();
    }

    /**
     * Writes the whole store to {@code sink}, as one consistent snapshot, rows as stored (sealed secrets stay sealed).
     *
     * @param withAudit whether the audit log goes too
     */
    void exportTo(StoreContent.Sink sink, boolean withAudit) throws StoreUnavailableException, IOException;

    /**
     * Loads an export into this store, which must hold no version and no schema: all of it in one transaction, or
     * nothing. The store takes the export's epoch; versions, checksums and timestamps are kept as they are.
     *
     * @return the versions loaded
     * @throws ImportRefusedException the store is not empty or the content is wrong (an {@link IOException}); nothing
     *                                was kept
     */
    long importFrom(StoreContent.Source source) throws StoreUnavailableException, IOException;

    /**
     * Writes a consistent copy of the database, every acknowledged commit included, to {@code file} (a new file).
     *
     * @throws UnsupportedOperationException the database is not a file of this broker's (PostgreSQL has its own tools)
     * @throws IOException                   the copy could not be written (it is removed); the store works on
     */
    default void backup(final Path file) throws StoreUnavailableException, IOException {
        throw new UnsupportedOperationException(
                "this store is not a file of this broker's: back it up with its own tools (pg_dump for PostgreSQL)");
    }

    @Override
    void close();
}
