package dev.configmanager.drift;

import dev.configmanager.config.DriftSettings;
import dev.configmanager.health.FleetClients;
import dev.configmanager.health.FleetClients.ClientState;
import dev.configmanager.store.ClientReport;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.StoredReport;
import dev.configmanager.wire.AppliedReport;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Which client runs which version of a service: the store's current version (desired), each client's latest report
 * (running), and the fleet's health (online). Reads all three each time: call it off the broker's threads.
 */
public final class FleetDrift {

    /** Where a client stands against its service's current version. */
    public enum State {
        /** Reported the current version, applied, with its checksum. */
        IN_SYNC,
        /** Reported an older version, applied, with that version's checksum. */
        BEHIND,
        /** Reported that applying failed, or a checksum or version the store does not have. */
        FAILED,
        /** Online, of the service by its client id, and never reported on it. */
        UNKNOWN;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One client of a service.
     *
     * @param report its latest report, {@code null} for {@link State#UNKNOWN}
     * @param health its health on whichever broker it is, {@code null} when no broker tracks it
     * @param why    what makes a failed client failed, {@code null} otherwise
     */
    public record ClientDrift(
            String clientId,
            State state,
            @Nullable AppliedReport report,
            @Nullable String reportedAt,
            @Nullable ClientState health,
            @Nullable String why) {

        public boolean online() {
            return health != null && health.online();
        }
    }

    /**
     * A service's drift.
     *
     * @param desired the current version, {@code null} when the service has no config
     */
    public record ServiceDrift(String service, @Nullable ConfigVersion desired, List<ClientDrift> clients) {

        public Map<State, Integer> counts() {
            final Map<State, Integer> counts = new EnumMap<>(State.class);
            for (final State s : State.values()) {
                counts.put(s, 0);
            }
            for (final ClientDrift c : clients) {
                counts.merge(c.state(), 1, Integer::sum);
            }
            return counts;
        }
    }

    private final ConfigStore store;
    private final FleetClients clients;
    private final DriftSettings settings;

    public FleetDrift(final ConfigStore store, final FleetClients clients, final DriftSettings settings) {
        this.store = store;
        this.clients = clients;
        this.settings = settings;
    }

    public FleetClients clients() {
        return clients;
    }

    /** Whether {@code clientId} is of {@code service} by its name (the console counts a service's clients so). */
    public Predicate<String> clientsOf(final String service) {
        return settings.clientsOf(service);
    }

    /** One service, every client that reported on it or is online under its client patterns. */
    public ServiceDrift service(final String service) throws Exception {
        return join(service, store.current(service).orElse(null), store.reports(service), clients.byClient());
    }

    /** Every service that has a config or reports, by name. */
    public Map<String, ServiceDrift> all() throws Exception {
        return all(clients.byClient());
    }

    /** {@link #all()} with the fleet's health as the caller read it from {@link #clients()}. */
    public Map<String, ServiceDrift> all(final Map<String, ClientState> health) throws Exception {
        final Map<String, List<StoredReport>> reports = new HashMap<>();
        for (final StoredReport r : store.reports(null)) {
            reports.computeIfAbsent(r.report().service(), s -> new ArrayList<>())
                    .add(r);
        }
        final Map<String, @Nullable ConfigVersion> desired = new TreeMap<>();
        for (final ConfigVersion v : store.allCurrent()) {
            desired.put(v.service(), v);
        }
        for (final String service : reports.keySet()) {
            desired.putIfAbsent(service, null);
        }
        final Map<String, ServiceDrift> all = new TreeMap<>();
        for (final Map.Entry<String, @Nullable ConfigVersion> e : desired.entrySet()) {
            all.put(e.getKey(), join(e.getKey(), e.getValue(), reports.getOrDefault(e.getKey(), List.of()), health));
        }
        return all;
    }

    private ServiceDrift join(
            final String service,
            final @Nullable ConfigVersion desired,
            final List<StoredReport> reports,
            final Map<String, ClientState> health) {
        final Map<String, ClientDrift> rows = new TreeMap<>();
        for (final StoredReport stored : reports) {
            final ClientReport r = stored.report();
            final AppliedReport a = r.report();
            final String why = failure(a, stored.versionChecksum());
            final State state;
            if (why != null) {
                state = State.FAILED;
            } else {
                // a version newer than the one read as current was committed while this was read
                state = desired == null || a.version() >= desired.version() ? State.IN_SYNC : State.BEHIND;
            }
            rows.put(
                    r.clientId(),
                    new ClientDrift(r.clientId(), state, a, r.reportedAt().toString(), health.get(r.clientId()), why));
        }
        final Predicate<String> ofService = settings.clientsOf(service);
        for (final Map.Entry<String, ClientState> h : health.entrySet()) {
            if (h.getValue().online() && !rows.containsKey(h.getKey()) && ofService.test(h.getKey())) {
                rows.put(h.getKey(), new ClientDrift(h.getKey(), State.UNKNOWN, null, null, h.getValue(), null));
            }
        }
        return new ServiceDrift(service, desired, List.copyOf(rows.values()));
    }

    private static @Nullable String failure(final AppliedReport a, final @Nullable String versionChecksum) {
        if (!a.ok()) {
            return Optional.ofNullable(a.error()).orElse("the client reported that applying failed");
        }
        if (versionChecksum == null) {
            return "version " + a.version() + " has no stored config with a checksum";
        }
        if (!versionChecksum.equals(a.checksum())) {
            return "the checksum differs from version " + a.version() + "'s";
        }
        return null;
    }
}
