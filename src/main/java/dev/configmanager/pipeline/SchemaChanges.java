package dev.configmanager.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.store.AuditRecord;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.RequestOrigin;
import dev.configmanager.wire.Violation;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Schemas set by an administrator: each change goes to the same writer as config requests, so it takes its place in
 * their order (see {@link BatchCommit}).
 */
public final class SchemaChanges {

    private final SchemaRegistry schemas;
    private final GroupCommitWriter writer;
    private final Clock clock;

    SchemaChanges(final SchemaRegistry schemas, final GroupCommitWriter writer, final Clock clock) {
        this.schemas = schemas;
        this.writer = writer;
        this.clock = clock;
    }

    /**
     * An administrator's new schema for {@code service}, applied by the writer in order with config requests:
     * checked to be a usable draft 2020-12 schema, stored durably with an audit line, then in force. Waits up to
     * {@code wait}; a change still queued then is withdrawn and never applied.
     *
     * @return empty once it is in force, else why not
     */
    public Optional<Rejected> change(
            final String service, final JsonNode schema, final String requester, final Duration wait)
            throws InterruptedException, ExecutionException, TimeoutException {
        final List<Violation> problems = schemas.check(schema);
        if (!problems.isEmpty()) {
            return Optional.of(new Rejected(
                    service, ErrorCode.SCHEMA_VIOLATION, "not a usable JSON Schema (draft 2020-12)", problems, null));
        }
        final Pending.SchemaChange change = submit(service, schema, requester);
        try {
            return change.done().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (final TimeoutException e) {
            if (change.claim()) {
                return Optional.of(Rejected.of(
                        service, ErrorCode.STORE_UNAVAILABLE, "the schema change timed out; nothing was changed"));
            }
            // the writer has it: its outcome follows
            return change.done().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Queues a schema change already checked to be usable; {@link #change} waits for it. */
    Pending.SchemaChange submit(final String service, final JsonNode schema, final String requester) {
        final Pending.SchemaChange change = Pending.SchemaChange.of(
                service,
                schema,
                new AuditRecord(
                        clock.instant(),
                        service,
                        "schema",
                        RequestOrigin.HTTP,
                        requester,
                        null,
                        "accepted",
                        null,
                        null,
                        null));
        writer.offer(change);
        return change;
    }
}
