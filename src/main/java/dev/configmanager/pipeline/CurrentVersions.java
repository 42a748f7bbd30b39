package dev.configmanager.pipeline;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.StoreUnavailableException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The current version of each service as the writer last committed it: a bounded cache over the store (the hot set
 * of a fleet's configs is read once, not once per request), and the view of one batch on top of it.
 */
final class CurrentVersions {

    private static final long HOT_SET_MAX_CHARS = 64L * 1024 * 1024;

    private final ConfigStore store;
    /** Written by the writer thread only; read by the intake to prepare a patch ahead of the writer. */
    private final Cache<String, Optional<ConfigVersion>> committed = Caffeine.newBuilder()
            .maximumWeight(HOT_SET_MAX_CHARS)
            .weigher((String service, Optional<ConfigVersion> v) -> 64
                    + v.map(c -> c.config() == null ? 0 : c.config().length()).orElse(0))
            .build();

    CurrentVersions(final ConfigStore store) {
        this.store = store;
    }

    /** The committed current version of {@code service} if it exists and is cached; empty otherwise. */
    Optional<ConfigVersion> cached(final String service) {
        final Optional<ConfigVersion> known = committed.getIfPresent(service);
        return known == null ? Optional.empty() : known;
    }

    /** A version committed elsewhere: it replaces an older cached one, so the next decision starts from it. */
    void committedElsewhere(final ConfigVersion version) {
        committed
                .asMap()
                .computeIfPresent(
                        version.service(),
                        (service, cached) -> cached.map(ConfigVersion::version).orElse(0L) < version.version()
                                ? Optional.of(version)
                                : cached);
    }

    /**
     * The store was replaced under the pipeline (an import): nothing cached is known to be current. A batch deciding
     * meanwhile from what it cached is refused by the store (the version is taken) and read again.
     */
    void forgetAll() {
        committed.invalidateAll();
    }

    Batch batch() {
        return new Batch();
    }

    /** What one batch has decided so far, over what is committed. Used by the writer thread only. */
    final class Batch {
        private final Map<String, Optional<ConfigVersion>> view = new HashMap<>();

        Optional<ConfigVersion> current(final String service) throws StoreUnavailableException {
            final Optional<ConfigVersion> seen = view.get(service);
            if (seen != null) {
                return seen;
            }
            Optional<ConfigVersion> known = committed.getIfPresent(service);
            if (known == null) {
                known = store.current(service);
                committed.put(service, known);
            }
            view.put(service, known);
            return known;
        }

        /** A version this batch will commit: later requests of the batch decide against it. */
        void decided(final ConfigVersion version) {
            view.put(version.service(), Optional.of(version));
        }

        /** The batch's versions are stored: they are the current ones now. */
        void committed(final List<ConfigVersion> versions) {
            versions.forEach(v -> committed.put(v.service(), Optional.of(v)));
        }

        /** The batch was not stored: what it read or decided may be wrong, so it is read again next time. */
        void discarded() {
            view.keySet().forEach(committed::invalidate);
        }
    }
}
