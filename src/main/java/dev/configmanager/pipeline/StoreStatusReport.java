package dev.configmanager.pipeline;

import dev.configmanager.store.StoreStatusListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Whether writing works, as the writer last saw it; the listener hears only the changes. */
final class StoreStatusReport {

    private static final Logger log = LoggerFactory.getLogger(StoreStatusReport.class);

    private final StoreStatusListener listener;
    private volatile boolean working = true;

    StoreStatusReport(final StoreStatusListener listener) {
        this.listener = listener;
    }

    boolean working() {
        return working;
    }

    /** The database could be opened after start failed to: writing works, and the listener hears so. */
    synchronized void reachable() {
        working = true;
        try {
            listener.storeAvailable();
        } catch (final RuntimeException e) {
            log.warn("config-manager: store status listener failed: {}", e.toString());
        }
    }

    /** {@code problem} null: writing works. */
    synchronized void report(final String problem) {
        final boolean failed = problem != null;
        if (failed == !working) {
            return;
        }
        working = !failed;
        try {
            if (failed) {
                listener.storeUnavailable(problem);
            } else {
                listener.storeAvailable();
            }
        } catch (final RuntimeException e) {
            log.warn("config-manager: store status listener failed: {}", e.toString());
        }
    }
}
