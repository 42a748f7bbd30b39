package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Rejected;
import org.jspecify.annotations.Nullable;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the intake hands the writer, to be applied in order: a request to decide, a rejection that only needs its
 * audit line stored, or an administrator's schema change.
 */
sealed interface Pending {

    String service();

    /** Answers it with {@code why} without applying it (the writer is stopping, overloaded, or failed on it). */
    void refuse(Rejected why);

    /** A config request: answered with its result once that is stored. */
    sealed interface Request extends Pending {
        CompletableFuture<ConfigResult> answer();

        @Override
        default void refuse(final Rejected why) {
            answer().complete(why);
        }
    }

    /**
     * A well-formed request.
     *
     * @param prepared   its content checked ahead of the writer, or {@code null} when the writer must do that
     * @param remembered its request id is the requester's (not made up here), so a retry may repeat it: a shared
     *                   store keeps its answer
     */
    record Decide(
            ConfigRequest request,
            ConfigDecider.@Nullable Content prepared,
            CompletableFuture<ConfigResult> answer,
            boolean remembered)
            implements Request {
        @Override
        public String service() {
            return request.service();
        }
    }

    /** A request rejected before deciding (unreadable, unauthorized): audited in order with the others. */
    record Refused(Rejected rejection, AuditRecord audit, CompletableFuture<ConfigResult> answer) implements Request {
        @Override
        public String service() {
            return rejection.service();
        }
    }

    /**
     * A new schema for a service (already checked to be a usable schema), stored and put in force by the writer, so
     * that every request decided after it is validated against it and none before it is.
     *
     * @param done  empty once stored and in force, else why not
     * @param taken claimed by whoever decides its fate first: the writer (it is applied) or a requester that gave up
     *              waiting (it never is)
     */
    record SchemaChange(
            String service,
            JsonNode schema,
            AuditRecord audit,
            CompletableFuture<Optional<Rejected>> done,
            AtomicBoolean taken)
            implements Pending {

        static SchemaChange of(final String service, final JsonNode schema, final AuditRecord audit) {
            return new SchemaChange(service, schema, audit, new CompletableFuture<>(), new AtomicBoolean());
        }

        /** Whether the caller is the first to claim it (and so decides whether it is applied). */
        boolean claim() {
            return taken.compareAndSet(false, true);
        }

        @Override
        public void refuse(final Rejected why) {
            done.complete(Optional.of(why));
        }
    }
}
