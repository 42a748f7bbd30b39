package dev.configmanager.pipeline;

import dev.configmanager.store.AuditRecord;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Rejected;

import java.util.concurrent.CompletableFuture;

/** What the intake hands the writer: a request to decide, or a rejection that only needs its audit line stored. */
sealed interface Pending {

    String service();

    /** Completed once the outcome is stored (and a new version published). */
    CompletableFuture<ConfigResult> answer();

    /**
     * A well-formed request.
     *
     * @param prepared its content checked ahead of the writer, or {@code null} when the writer must do that
     */
    record Decide(ConfigRequest request, ConfigDecider.Content prepared, CompletableFuture<ConfigResult> answer)
            implements Pending {
        @Override
        public String service() {
            return request.service();
        }
    }

    /** A request rejected before deciding (unreadable, unauthorized): audited in order with the others. */
    record Refused(Rejected rejection, AuditRecord audit, CompletableFuture<ConfigResult> answer) implements Pending {
        @Override
        public String service() {
            return rejection.service();
        }
    }
}
