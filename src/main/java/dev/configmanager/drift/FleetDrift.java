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
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
     * @param report     its latest report, {@code null} for {@link State#UNKNOWN}
     * @param reportedAt when it reported (ISO-8601), {@code null} for {@link State#UNKNOWN}
     * @param health     its health on whichever broker it is, {@code null} when no broker tracks it
     * @param why        what makes a failed client failed, {@code null} otherwise
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

        /**
         * Whether it counts: every client but one known to be gone (a pod replaced by a rollout must not stay "behind"
         * in the counts until it is forgotten; it is still listed).
         */
        public boolean counted() {
            return health == null || health.online();
        }
    }

    /**
     * A service's drift.
     *
     * @param desired the current version
     */
    public record ServiceDrift(String service, ConfigVersion desired, List<ClientDrift> clients) {

        /** The clients that count, by state. */
        public Map<State, Integer> counts() {
            final Map<State, Integer> counts = new EnumMap<>(State.class);
            for (final State s : State.values()) {
                counts.put(s, 0);
            }
            for (final ClientDrift c : clients) {
                if (c.counted()) {
                    counts.merge(c.state(), 1, Integer::sum);
                }
            }
            return counts;
        }

        /** Clients listed that do not count: they reported, and are known to be offline. */
        public int offline() {
            return (int) clients.stream().filter(c -> !c.counted()).count();
        }
    }

    /**
     * Every service with a config, and which service each client id is of.
     *
     * @param services by name
     * @param owners   client id → the service it is of (see {@link FleetDrift#all(Map)})
     */
    public record Fleet(Map<String, ServiceDrift> services, Map<String, String> owners) {}

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

    /** Every service with a config (deleted ones have no clients to be in sync with). */
    public Fleet all() throws Exception {
        return all(clients.byClient());
    }

    /**
     * {@link #all()} with the fleet's health as the caller read it from {@link #clients()}. A client is of a service
     * when it reported on it; a client that never reported is of the service with the longest name whose client
     * patterns it matches ({@code router-eu-1} is of {@code router-eu}, not of {@code router}).
     */
    public Fleet all(final Map<String, ClientState> health) throws Exception {
        final Map<String, ConfigVersion> desired = new TreeMap<>();
        for (final ConfigVersion v : store.allCurrent()) {
            if (!v.isDeleted()) {
                desired.put(v.service(), v);
            }
        }
        final Map<String, List<StoredReport>> reports = new HashMap<>();
        final Set<String> reporters = new HashSet<>();
        for (final StoredReport r : store.reports()) {
            reports.computeIfAbsent(r.report().service(), s -> new ArrayList<>())
                    .add(r);
            reporters.add(r.report().clientId());
        }
        final Map<String, String> owners = owners(desired.keySet(), health.keySet());
        final Map<String, List<String>> unreported = new HashMap<>();
        for (final Map.Entry<String, String> o : owners.entrySet()) {
            final ClientState h = health.get(o.getKey());
            if (h != null && h.online() && !reporters.contains(o.getKey())) {
                unreported.computeIfAbsent(o.getValue(), s -> new ArrayList<>()).add(o.getKey());
            }
        }
        final Map<String, ServiceDrift> all = new TreeMap<>();
        for (final ConfigVersion v : desired.values()) {
            all.put(
                    v.service(),
                    join(
                            v,
                            reports.getOrDefault(v.service(), List.of()),
                            unreported.getOrDefault(v.service(), List.of()),
                            health));
        }
        return new Fleet(all, owners);
    }

    /** The service each client id is of by its name: of those whose patterns it matches, the longest name. */
    private Map<String, String> owners(final Set<String> services, final Set<String> clientIds) {
        final List<Map.Entry<String, Predicate<String>>> patterns = new ArrayList<>();
        for (final String s : services) {
            final Predicate<String> matches = settings.clientsOf(s);
            patterns.add(
                    Map.entry(s, settings.patternsHoldName(s) ? id -> id.contains(s) && matches.test(id) : matches));
        }
        final Map<String, String> owners = new HashMap<>();
        for (final String id : clientIds) {
            String owner = null;
            for (final Map.Entry<String, Predicate<String>> p : patterns) {
                if ((owner == null || p.getKey().length() > owner.length())
                        && p.getValue().test(id)) {
                    owner = p.getKey();
                }
            }
            if (owner != null) {
                owners.put(id, owner);
            }
        }
        return owners;
    }

    private static ServiceDrift join(
            final ConfigVersion desired,
            final List<StoredReport> reports,
            final List<String> unreported,
            final Map<String, ClientState> health) {
        final Map<String, ClientDrift> rows = new TreeMap<>();
        for (final StoredReport stored : reports) {
            final ClientReport r = stored.report();
            final AppliedReport a = r.report();
            final String why = failure(a, stored.versionChecksum());
            // a version newer than the one read as current was committed while this was read: in sync
            final State state =
                    why != null ? State.FAILED : a.version() >= desired.version() ? State.IN_SYNC : State.BEHIND;
            rows.put(
                    r.clientId(),
                    new ClientDrift(r.clientId(), state, a, r.reportedAt().toString(), health.get(r.clientId()), why));
        }
        for (final String id : unreported) {
            rows.put(id, new ClientDrift(id, State.UNKNOWN, null, null, health.get(id), null));
        }
        return new ServiceDrift(desired.service(), desired, List.copyOf(rows.values()));
    }

    private static @Nullable String failure(final AppliedReport a, final @Nullable String versionChecksum) {
        if (!a.ok()) {
            return a.error() != null ? a.error() : "the client reported that applying failed";
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
