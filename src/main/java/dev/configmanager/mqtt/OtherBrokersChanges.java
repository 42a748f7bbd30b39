package dev.configmanager.mqtt;

import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.store.ConfigStore;
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

    /** @return stops following */
    public static AutoCloseable follow(
            final ConfigStore store, final ConfigPipeline pipeline, final ConfigTopicPublisher publisher) {
        try {
            return store.follow(version -> {
                pipeline.committedElsewhere(version);
                publisher.publishIfNewer(version);
            });
        } catch (final StoreUnavailableException e) {
            log.error(
                    "config-manager: the shared database's change log cannot be read ({}); changes made through "
                            + "other brokers reach this one's topics at its next start",
                    e.getMessage());
            return () -> {};
        }
    }
}
