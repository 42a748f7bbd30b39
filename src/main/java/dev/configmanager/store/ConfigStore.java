package dev.configmanager.store;

import java.util.List;
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

    /** Schemas set through the console, by service. */
    java.util.Map<String, String> schemas() throws StoreUnavailableException;

    /** Stores (durably) a service's schema, with an audit line. */
    void putSchema(String service, String schemaJson, AuditRecord audit) throws StoreUnavailableException;

    /**
     * Stores new versions and audit records atomically and durably: when this returns, they are synced to disk. One
     * call is one sync, however many writes it carries (group commit).
     *
     * @throws WriteRefusedException the database works but refused these rows; nothing was kept
     */
    void commit(List<ConfigVersion> versions, List<AuditRecord> audit)
            throws StoreUnavailableException, WriteRefusedException;

    /**
     * Follows the versions committed to this store by any writer (another broker on a shared database, this process
     * too) from now on: {@code changed} gets each once, in commit order, once it is committed. A store that only this
     * process writes has nothing to follow.
     *
     * @return stops following
     */
    default AutoCloseable follow(final Consumer<ConfigVersion> changed) throws StoreUnavailableException {
        return () -> {};
    }

    @Override
    void close();
}
