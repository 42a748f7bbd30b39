package dev.configmanager.store;

import java.util.List;
import java.util.Optional;

/** Stands in for a database that could not be opened at start: every call fails with the reason. */
public final class UnavailableStore implements ConfigStore {

    private final String reason;

    public UnavailableStore(final String reason) {
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }

    @Override
    public String epoch() {
        return "unavailable";
    }

    @Override
    public Optional<ConfigVersion> current(final String service) throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public List<ConfigVersion> allCurrent() throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public Optional<ConfigVersion> version(final String service, final long version) throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public List<ConfigVersion> history(final String service, final int limit) throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public List<AuditRecord> audit(final String service, final String outcome, final int limit)
            throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public java.util.Map<String, String> schemas() throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public List<ClientReport> recordReports(final List<ClientReport> reports, final int maxClientsPerService)
            throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public List<StoredReport> reports() throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public int forgetReports(final String clientId) throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public void putSchema(final String service, final String schemaJson, final AuditRecord audit)
            throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public void commit(
            final List<ConfigVersion> versions, final List<AuditRecord> audit, final List<RequestAnswer> answers)
            throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public void exportTo(final StoreContent.Sink sink, final boolean withAudit) throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public long importFrom(final StoreContent.Source source) throws StoreUnavailableException {
        throw unavailable();
    }

    @Override
    public void close() {}

    private StoreUnavailableException unavailable() {
        return new StoreUnavailableException("the config database is unavailable: " + reason, null);
    }
}
