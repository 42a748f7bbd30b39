package dev.configmanager.mqtt;

import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.PublisherRole;
import dev.configmanager.store.StoreUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a database that several brokers share, what the others commit is published on this broker's retained
 * {@code config/updated} topics too (never an older version over a newer one), and this broker's decisions start
 * from it. Follow before the start-up repairs read the database, so that nothing falls between the two.
 */
public final class OtherBrokersChanges {

    private static final Logger log = LoggerFactory.getLogger(OtherBrokersChanges.class);

    private OtherBrokersChanges() {}

    /** The role was taken: every current version is published (never over a newer one), so none is left behind. */
    private static void catchUp(final ConfigStore store, final ConfigTopicPublisher publisher) {
        try {
            store.allCurrent().forEach(publisher::publishIfNewer);
        } catch (final StoreUnavailableException | RuntimeException e) {
            log.warn(
                    "config-manager: publishing the current configs on taking the publisher role failed: {}",
                    e.getMessage());
        }
    }

    /**
     * @param singlePublisher {@code <publisher>one}: what others commit is published only while this broker holds the
     *                        publisher role (its own commits it publishes itself, as always)
     * @return stops following (and gives the role up)
     */
    public static AutoCloseable follow(
            final ConfigStore store,
            final ConfigPipeline pipeline,
            final ConfigTopicPublisher publisher,
            final boolean singlePublisher) {
        final PublisherRole role = singlePublisher ? store.publisherRole().orElse(null) : null;
        if (role != null) {
            role.whenTaken(() -> catchUp(store, publisher));
        }
        final AutoCloseable feed;
        try {
            feed = store.follow(version -> {
                pipeline.committedElsewhere(version);
                if (role == null || role.held()) {
                    publisher.publishIfNewer(version);
                }
            });
        } catch (final StoreUnavailableException e) {
            log.error(
                    "config-manager: the shared database's change log cannot be read ({}); changes made through "
                            + "other brokers reach this one's topics at its next start",
                    e.getMessage());
            return role == null ? () -> {} : role;
        }
        return () -> {
            try {
                feed.close();
            } finally {
                if (role != null) {
                    role.close();
                }
            }
        };
    }
}
