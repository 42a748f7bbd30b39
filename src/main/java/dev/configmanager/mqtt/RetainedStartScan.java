package dev.configmanager.mqtt;

import com.hivemq.extension.sdk.api.services.publish.RetainedMessageStore;
import com.hivemq.extension.sdk.api.services.publish.RetainedPublish;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One pass over the broker's retained messages at start, shared by every repair that needs to look at them: walking
 * the whole retained store once per repair would multiply the start-up cost by their number.
 */
public final class RetainedStartScan {

    private static final Logger log = LoggerFactory.getLogger(RetainedStartScan.class);

    /** A repair that looks at each retained message, then acts once the pass is over. */
    public interface Visitor {
        /** Called for every retained message, possibly from several threads; only collects. */
        void visit(RetainedPublish message);

        /** Called once after the pass; completes when the repair is done. */
        CompletableFuture<?> finish();
    }

    private RetainedStartScan() {}

    public static CompletableFuture<Void> run(final RetainedMessageStore retained, final List<Visitor> visitors) {
        return retained.iterateAllRetainedMessages((context, message) -> {
                    for (final Visitor v : visitors) {
                        try {
                            v.visit(message);
                        } catch (final RuntimeException e) {
                            log.warn(
                                    "config-manager: a start-up repair could not look at a retained message: {}",
                                    e.toString());
                        }
                    }
                })
                .thenCompose(ignored -> CompletableFuture.allOf(
                        visitors.stream().map(RetainedStartScan::finish).toArray(CompletableFuture[]::new)));
    }

    /**
     * Runs the pass and waits up to {@code wait} for its repairs. Listeners bind only after extensions start, so
     * waiting at start means no client ever sees a retained config or health topic that contradicts the database
     * or the fact that nobody is connected yet.
     */
    public static void runAndWait(
            final RetainedMessageStore retained, final List<Visitor> visitors, final Duration wait) {
        try {
            run(retained, visitors).get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final TimeoutException e) {
            log.warn(
                    "config-manager: retained topics are still being repaired after {} s; continuing in the "
                            + "background",
                    wait.toSeconds());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final Exception e) {
            log.error("config-manager: retained topics could not be repaired at start: {}", e.toString());
        }
    }

    /** One repair that fails does not keep the others from finishing. */
    private static CompletableFuture<?> finish(final Visitor visitor) {
        try {
            return visitor.finish();
        } catch (final RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
