package dev.configmanager.mqtt;

import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.MqttVersion;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import dev.configmanager.config.OwnedTopics;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.pipeline.ConfigPipeline.Answer;
import dev.configmanager.security.AccessPolicy;
import dev.configmanager.security.ClientIdentity;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.Envelope;
import dev.configmanager.wire.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Takes config requests out of the message flow before any subscriber sees them, hands them to the pipeline, and
 * answers the requester. Also refuses client publishes to the topics only the extension may write.
 * <p>
 * Shared by all clients and stateless. The broker thread only reads the packet and registers a callback: the work
 * runs on the pipeline's threads and the PUBACK is sent when the result is known (SDK async output).
 */
public final class ConfigRequestInterceptor implements PublishInboundInterceptor {

    private static final Logger log = LoggerFactory.getLogger(ConfigRequestInterceptor.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final OwnedTopics owned;
    private final ConfigPipeline pipeline;
    private final ConfigTopicPublisher publisher;
    private final Duration timeout;
    private final DeniedPublishes denied;
    private final AccessPolicy access;

    public ConfigRequestInterceptor(
            final OwnedTopics owned,
            final ConfigPipeline pipeline,
            final ConfigTopicPublisher publisher,
            final Duration timeout,
            final DeniedPublishes denied,
            final AccessPolicy access) {
        this.owned = owned;
        this.pipeline = pipeline;
        this.publisher = publisher;
        this.timeout = timeout;
        this.denied = denied;
        this.access = access;
    }

    @Override
    public void onInboundPublish(final PublishInboundInput input, final PublishInboundOutput output) {
        final String clientId = input.getClientInformation().getClientId();
        final PublishPacket packet = input.getPublishPacket();
        final String topic = packet.getTopic();
        // MQTT 3 has no PUBACK reason codes; HiveMQ answers an error code there by closing the connection.
        final boolean mqtt5 = input.getConnectionInformation().getMqttVersion() == MqttVersion.V_5;
        try {
            final TopicLayout topics = owned.topics();
            final Optional<RequestTopic> request = topics.parseRequest(topic);
            final Optional<String> reportOn = topics.appliedService(topic);
            if (reportOn.isPresent()) {
                final ClientIdentity who = ClientIdentity.of(clientId, input.getConnectionInformation());
                handleReport(reportOn.get(), packet, clientId, mqtt5, access.mayRead(who, reportOn.get()), output);
            } else if (request.isPresent()) {
                final ClientIdentity who = ClientIdentity.of(clientId, input.getConnectionInformation());
                final String service = request.get().service();
                final boolean mayWrite = access.mayWrite(who, service);
                final Replies replies = replies(
                        packet.getResponseTopic(), mayWrite, mayWrite || access.mayRead(who, service), clientId);
                // an unknown action is answered invalid_request whoever sends it
                handle(
                        request.get(),
                        packet,
                        clientId,
                        mqtt5,
                        mayWrite || request.get().action() == Action.UNKNOWN,
                        replies,
                        output);
            } else if (topics.isExtensionOwned(topic)) {
                denied.deny(
                        output,
                        mqtt5,
                        clientId,
                        topic,
                        "only config-manager publishes current configs and " + "results");
            }
        } catch (final RuntimeException e) {
            log.error(
                    "config-manager: handling a publish by '{}' to '{}' failed",
                    ClientText.escape(clientId, 80),
                    ClientText.escape(topic, 120),
                    e);
            if (owned.isOwned(topic)) {
                DeniedPublishes.failClosed(output);
            }
        }
    }

    /**
     * Where a request's result may go. Its response topic only for a requester the write rules allow (it makes the
     * extension publish where the requester names, past other extensions' ACLs) and never inside the extension's own
     * topic families or a {@code $} topic; else {@code config/result/<service>}, but only for a requester that may
     * write or read that service: a refused client must not plant answers, with someone else's request id, where that
     * service's writers wait for theirs.
     */
    private record Replies(Optional<String> responseTopic, boolean resultTopic, String auditNote) {}

    private Replies replies(
            final Optional<String> asked, final boolean mayWrite, final boolean mayRead, final String clientId) {
        if (asked.isEmpty()) {
            return new Replies(Optional.empty(), mayRead, null);
        }
        if (!owned.isAllowedResponseTopic(asked.get())) {
            denied.refuseResponseTopic(clientId, asked.get());
            return new Replies(
                    Optional.empty(),
                    mayRead,
                    "response topic refused: it lies in a topic family "
                            + "config-manager owns, or starts with $; the result went to the service's result topic");
        }
        return mayWrite
                ? new Replies(asked, true, null)
                : new Replies(
                        Optional.empty(), mayRead, "response topic not used: the requester may not write this service");
    }

    private void handle(
            final RequestTopic request,
            final PublishPacket packet,
            final String clientId,
            final boolean mqtt5,
            final boolean authorized,
            final Replies replies,
            final PublishInboundOutput output) {
        final Async<PublishInboundOutput> async = takeOutput(output, mqtt5, "request");
        final Optional<ByteBuffer> correlationData = packet.getCorrelationData();
        final CompletableFuture<Answer> submitted;
        try {
            submitted = pipeline.submitMqtt(
                    request, packet.getPayload().orElse(EMPTY), clientId, authorized, replies.auditNote());
        } catch (final RuntimeException e) {
            // the async output is taken: refuse the publish and resume now, not when the SDK's timeout fires
            log.error("config-manager: submitting a request by '{}' failed", ClientText.escape(clientId, 80), e);
            finish(output, async, new PubackReason(AckReasonCode.UNSPECIFIED_ERROR, "internal"));
            return;
        }
        submitted.whenComplete((answer, error) -> {
            PubackReason puback = new PubackReason(AckReasonCode.UNSPECIFIED_ERROR, "internal");
            try {
                final Answer a = error == null
                        ? answer
                        : new Answer(
                                Envelope.newId(), Rejected.of(request.service(), ErrorCode.INTERNAL, "internal error"));
                if (error != null) {
                    log.error(
                            "config-manager: request by '{}' on {} failed",
                            ClientText.escape(clientId, 80),
                            request.action(),
                            error);
                }
                log.debug(
                        "config-manager: request {} by '{}' on {}: {}",
                        a.requestId(),
                        ClientText.escape(clientId, 80),
                        request.action(),
                        a.result());
                publisher.publishResult(a, replies.responseTopic(), replies.resultTopic(), correlationData);
                puback = mqtt5 ? PubackReason.of(a.result()) : PubackReason.SUCCESS;
            } catch (final RuntimeException e) {
                log.error("config-manager: answering a request by '{}' failed", ClientText.escape(clientId, 80), e);
            } finally {
                finish(output, async, puback);
            }
        });
    }

    /**
     * A report of what the client applied: stored, never delivered. The PUBACK waits until it is stored (QoS 1 means
     * "kept"). A refused report is answered on {@code config/result/<service>}, but only to a client that may read the
     * service (the same rule as a request's result topic); a report never names a response topic of its own choosing.
     */
    private void handleReport(
            final String service,
            final PublishPacket packet,
            final String clientId,
            final boolean mqtt5,
            final boolean mayRead,
            final PublishInboundOutput output) {
        final Async<PublishInboundOutput> async = takeOutput(output, mqtt5, "report");
        final CompletableFuture<Optional<Answer>> submitted;
        try {
            submitted = pipeline.submitReport(service, packet.getPayload().orElse(EMPTY), clientId, mayRead);
        } catch (final RuntimeException e) {
            log.error("config-manager: submitting a report by '{}' failed", ClientText.escape(clientId, 80), e);
            finish(output, async, new PubackReason(AckReasonCode.UNSPECIFIED_ERROR, "internal"));
            return;
        }
        submitted.whenComplete((answer, error) -> {
            PubackReason puback = new PubackReason(AckReasonCode.UNSPECIFIED_ERROR, "internal");
            try {
                if (error != null) {
                    log.error("config-manager: a report by '{}' failed", ClientText.escape(clientId, 80), error);
                } else if (answer.isEmpty()) {
                    puback = PubackReason.SUCCESS;
                } else {
                    publisher.publishResult(answer.get(), Optional.empty(), mayRead, packet.getCorrelationData());
                    puback = mqtt5 ? PubackReason.of(answer.get().result()) : PubackReason.SUCCESS;
                }
            } catch (final RuntimeException e) {
                log.error("config-manager: answering a report by '{}' failed", ClientText.escape(clientId, 80), e);
            } finally {
                finish(output, async, puback);
            }
        });
    }

    /**
     * The publish waits for its answer (SDK async output); if the answer takes longer than the request timeout, the
     * SDK refuses it (MQTT 5) or acknowledges it (MQTT 3, which has no reason codes), and drops it either way.
     */
    private Async<PublishInboundOutput> takeOutput(
            final PublishInboundOutput output, final boolean mqtt5, final String what) {
        return mqtt5
                ? output.async(
                        timeout,
                        TimeoutFallback.FAILURE,
                        AckReasonCode.UNSPECIFIED_ERROR,
                        "store_unavailable: the " + what + " timed out")
                : output.async(timeout, TimeoutFallback.FAILURE, AckReasonCode.SUCCESS, null);
    }

    /** The request itself is never delivered: it is always stopped here, with the PUBACK that matches the result. */
    private static void finish(
            final PublishInboundOutput output, final Async<PublishInboundOutput> async, final PubackReason puback) {
        try {
            output.preventPublishDelivery(puback.code(), puback.reasonString());
        } catch (final RuntimeException e) {
            // the SDK already timed the request out, which also drops the publish
            log.debug("config-manager: publish outcome could not be set: {}", e.toString());
        } finally {
            async.resume();
        }
    }
}
