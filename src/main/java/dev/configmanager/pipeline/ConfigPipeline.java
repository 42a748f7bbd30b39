package dev.configmanager.pipeline;

import com.codahale.metrics.MetricRegistry;
import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.pipeline.RequestParser.Parsed;
import dev.configmanager.store.ClientReport;
import dev.configmanager.store.ConfigStore;
import dev.configmanager.store.ConfigVersion;
import dev.configmanager.store.StoreStatusListener;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.Envelope;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.RequestOrigin;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The one path every config change takes, whatever its origin: parse, deduplicate, decide against the current state,
 * commit durably, publish, answer. This class is its intake: it reads and checks requests and answers duplicates;
 * the {@link GroupCommitWriter} decides and commits them in order, against the {@link CurrentVersions}.
 * Where a request is read (the caller's thread or the intake's pool) is {@link ReadingThreads}' choice.
 */
public final class ConfigPipeline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConfigPipeline.class);

    /** The answer to a request, with the id its result envelope carries. */
    public record Answer(String requestId, ConfigResult result) {}

    private final ConfigDecider decider;
    private final SchemaRegistry schemas;
    private final RequestParser parser;
    private final DedupWindow dedup;
    private final PipelineMetrics metrics;
    private final Clock clock;
    private final CurrentVersions current;
    private final ReadingThreads readers;
    private final GroupCommitWriter writer;
    private final SchemaChanges schemaChanges;
    private final StoreStatusReport status;
    private final AppliedReportParser reportParser = new AppliedReportParser();
    private final ReportWriter reports;
    private final HealthSettings reportingIds;

    public ConfigPipeline(
            final ExtensionSettings settings,
            final ConfigStore store,
            final SchemaRegistry schemas,
            final ConfigPublication publication,
            final MetricRegistry metricRegistry,
            final Clock clock,
            final StoreStatusListener storeStatus,
            final ChangeNotices notices) {
        this.decider = new ConfigDecider(schemas, settings);
        this.schemas = schemas;
        this.parser = new RequestParser(settings.maxPayloadBytes(), settings.maxDepth());
        this.dedup = new DedupWindow(settings.dedupWindow(), settings.dedupMaxEntries());
        this.metrics = new PipelineMetrics(metricRegistry);
        this.clock = clock;
        this.current = new CurrentVersions(store);
        this.readers = new ReadingThreads(schemas);
        this.status = new StoreStatusReport(storeStatus);
        this.writer = new GroupCommitWriter(
                new BatchCommit(
                        store, decider, schemas, current, publication, metrics, clock, status, settings.dedupWindow()),
                status);
        this.schemaChanges = new SchemaChanges(schemas, writer, clock);
        this.reports = new ReportWriter(store, settings.drift().maxClientsPerService(), notices);
        this.reportingIds = settings.health();
    }

    /**
     * A version another broker committed to the shared database: decisions here start from it (the database refuses
     * a decision that missed it anyway, but then it is made twice).
     */
    public void committedElsewhere(final ConfigVersion version) {
        current.committedElsewhere(version);
    }

    /** The store's content was replaced (an import): decisions start from what it holds now. */
    public void storeReplaced() {
        current.forgetAll();
    }

    /** A database that could not be opened at start is open now: writes are accepted, and health says so. */
    public void storeOpened() {
        status.reachable();
    }

    public boolean storeWorking() {
        return writer.storeWorking();
    }

    /**
     * A request as it arrived over MQTT. Never blocks the caller: a small payload is read in place, a larger one on
     * the pipeline's own threads. An unauthorized request is still read, only to answer with its request id, and is
     * rejected with {@code not_authorized} whatever it says.
     *
     * @param auditNote what the audit log should say besides the outcome, or {@code null}
     */
    public CompletableFuture<Answer> submitMqtt(
            final RequestTopic topic,
            final ByteBuffer payload,
            final String clientId,
            final boolean authorized,
            final @Nullable String auditNote) {
        final ByteBuffer copy = copyWithinLimit(payload);
        // the client id is the client's own text: it reaches columns, logs and the updated-by user property
        final String requester = "mqtt:" + ClientText.escape(clientId, 240);
        return parseThenSubmit(
                topic,
                () -> parser.parse(topic, copy, requester, RequestOrigin.MQTT),
                requester,
                RequestOrigin.MQTT,
                authorized
                        ? null
                        : "client '" + ClientText.escape(clientId, 80) + "' may not "
                                + topic.action().topicLevel() + " '" + ClientText.escape(topic.service(), 64) + "'",
                copy.remaining(),
                auditNote);
    }

    /**
     * A client's report of what it applied ({@code config/applied/<service>}, SPEC §8), attributed to the client that
     * published it. Stored as the client's latest report on the service once it is read and allowed; else refused
     * like a request (answered with its request id, and an audit line). Reports are small and read in place.
     *
     * @param authorized whether the read rules let this client read the service
     * @return empty once the report is stored, else the rejection to answer
     */
    public CompletableFuture<Optional<Answer>> submitReport(
            final String service, final ByteBuffer payload, final String clientId, final boolean authorized) {
        final String requester = "mqtt:" + ClientText.escape(clientId, 240);
        final Parsed.Failed refused;
        if (!authorized) {
            // a refused client gets no result (it may not read the service): no request id to read, nothing parsed
            refused = new Parsed.Failed(
                    Rejected.of(
                            ClientText.escape(service, 64),
                            ErrorCode.NOT_AUTHORIZED,
                            "client '" + ClientText.escape(clientId, 80) + "' may not read '"
                                    + ClientText.escape(service, 64) + "', so it may not report on it"),
                    null);
        } else {
            final AppliedReportParser.Read read = reportParser.read(service, payload.asReadOnlyBuffer());
            if (read instanceof AppliedReportParser.Read.Failed f) {
                refused = new Parsed.Failed(f.rejection(), f.requestId());
            } else if (!reportingIds.hasTopicShape(clientId)) {
                // every client that reports can be forgotten like its health, and its id stays short
                refused = new Parsed.Failed(
                        Rejected.of(
                                service,
                                ErrorCode.INVALID_REQUEST,
                                "a client id that cannot have health topics (empty, longer than "
                                        + "<health><max-client-id-length>, or with / + # or control characters) "
                                        + "cannot report"),
                        read.requestId());
            } else {
                final AppliedReportParser.Read.Ok ok = (AppliedReportParser.Read.Ok) read;
                final String requestId = ok.requestId() != null ? ok.requestId() : Envelope.newId();
                return reports.offer(new ClientReport(service, clientId, ok.report(), clock.instant()))
                        .thenApply(r -> Optional.ofNullable(r).map(x -> new Answer(requestId, x)));
            }
        }
        return rejectEarly(refused, TopicLayout.APPLIED_LEVEL, requester, RequestOrigin.MQTT, null)
                .thenApply(Optional::of);
    }

    /** A request from the console: the body is the document itself, the expected version comes from If-Match. */
    public CompletableFuture<Answer> submitHttp(
            final RequestTopic topic,
            final ByteBuffer body,
            final @Nullable Long expectedVersion,
            final @Nullable String requestId,
            final String requester) {
        final ByteBuffer copy = copyWithinLimit(body);
        return parseThenSubmit(
                topic,
                () -> parser.parseHttp(topic, copy, expectedVersion, requestId, requester),
                requester,
                RequestOrigin.HTTP,
                null,
                copy.remaining(),
                null);
    }

    /**
     * What {@code config} would meet if it were written now, without writing it: size, depth and the service's
     * schema. Empty when it would be accepted.
     */
    public Optional<Rejected> dryRun(final String service, final ByteBuffer body) {
        final Parsed parsed = parser.parseHttp(new RequestTopic(Action.SET, service), body, null, null, "dry-run");
        return parsed instanceof Parsed.Ok ok
                ? Optional.ofNullable(
                        decider.content(service, null, ok.request().document()).problem())
                : Optional.of(((Parsed.Failed) parsed).rejection());
    }

    private CompletableFuture<Answer> parseThenSubmit(
            final RequestTopic topic,
            final Supplier<Parsed> parse,
            final String requester,
            final RequestOrigin origin,
            final @Nullable String refusal,
            final int payloadBytes,
            final @Nullable String auditNote) {
        final Supplier<CompletableFuture<Answer>> work = () -> {
            try {
                final Parsed parsed = parse.get();
                if (refusal != null) {
                    final String service =
                            parsed instanceof Parsed.Failed f ? f.rejection().service() : topic.service();
                    return rejectEarly(
                            new Parsed.Failed(
                                    Rejected.of(service, ErrorCode.NOT_AUTHORIZED, refusal), parsed.requestId()),
                            topic.action().topicLevel(),
                            requester,
                            origin,
                            auditNote);
                }
                return parsed instanceof Parsed.Ok ok
                        ? submit(ok.request().withAuditNote(auditNote))
                        : rejectEarly(
                                (Parsed.Failed) parsed, topic.action().topicLevel(), requester, origin, auditNote);
            } catch (final RuntimeException e) {
                log.error(
                        "config-manager: reading a {} request for '{}' failed unexpectedly",
                        topic.action().topicLevel(),
                        ClientText.escape(topic.service(), 64),
                        e);
                return CompletableFuture.completedFuture(new Answer(
                        Envelope.newId(),
                        Rejected.of(topic.service(), ErrorCode.INTERNAL, "internal error while reading the request")));
            }
        };
        return readers.read(topic.service(), payloadBytes, work);
    }

    /** A well-formed request from any front end. */
    public CompletableFuture<Answer> submit(final ConfigRequest request) {
        final boolean clientId = request.requestId() != null;
        final String requestId = clientId ? request.requestId() : Envelope.newId();
        final ConfigRequest withId = clientId ? request : request.withRequestId(requestId);
        final CompletableFuture<ConfigResult> result = new CompletableFuture<>();
        if (clientId) {
            final Optional<CompletableFuture<ConfigResult>> first = dedup.claim(request.service(), requestId, result);
            if (first.isPresent()) {
                metrics.duplicate();
                log.debug(
                        "config-manager: request {} for {} is a duplicate; answering with its first answer",
                        requestId,
                        request.service());
                return first.get().thenApply(r -> new Answer(requestId, r));
            }
        }
        writer.offer(new Pending.Decide(withId, prepare(withId), result, clientId));
        return result.thenApply(r -> new Answer(requestId, r));
    }

    /**
     * Merge, validation and canonical form, on the submitting thread instead of the writer's (the writer checks that
     * a patch's base is still current). A defect here only means the writer does the work itself.
     */
    private ConfigDecider.Content prepare(final ConfigRequest request) {
        try {
            return decider.prepare(request, current.cached(request.service()));
        } catch (final RuntimeException e) {
            log.warn(
                    "config-manager: checking request {} before the writer failed; the writer checks it: {}",
                    request.requestId(),
                    e.toString());
            return null;
        }
    }

    /** The administrator's write path for schemas, ordered with config requests by the same writer. */
    public SchemaChanges schemaChanges() {
        return schemaChanges;
    }

    /** A request refused before deciding: answered once its audit line is stored, in order with the others. */
    private CompletableFuture<Answer> rejectEarly(
            final Parsed.Failed failed,
            final String action,
            final String requester,
            final RequestOrigin origin,
            final @Nullable String auditNote) {
        final String requestId = failed.requestId() != null ? failed.requestId() : Envelope.newId();
        final Rejected r = failed.rejection();
        final CompletableFuture<ConfigResult> result = new CompletableFuture<>();
        writer.offer(new Pending.Refused(
                r, RequestAudit.rejected(r, action, origin, requester, requestId, auditNote, clock.instant()), result));
        return result.thenApply(x -> new Answer(requestId, x));
    }

    private ByteBuffer copyWithinLimit(final ByteBuffer payload) {
        if (payload.remaining() > parser.maxPayloadBytes()) {
            return payload.asReadOnlyBuffer(); // rejected on size alone, never read
        }
        final byte[] bytes = new byte[payload.remaining()];
        payload.duplicate().get(bytes);
        return ByteBuffer.wrap(bytes);
    }

    /** Stops taking requests, finishes those already queued, and stops the threads. The store stays open. */
    @Override
    public void close() {
        writer.stopTaking(); // what is read from here on is answered "stopping", as it would be after the close
        readers.close();
        reports.close();
        writer.close();
    }
}
