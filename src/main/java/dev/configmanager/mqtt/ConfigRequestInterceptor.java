package dev.configmanager.mqtt;

import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.MqttVersion;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.pipeline.ConfigPipeline;
import dev.configmanager.pipeline.ConfigPipeline.Answer;
import dev.configmanager.security.AccessPolicy;
import dev.configmanager.security.ClientIdentity;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.Envelope;
import dev.configmanager.wire.ErrorCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;

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

    private final TopicLayout topics;
    private final ConfigPipeline pipeline;
    private final ConfigTopicPublisher publisher;
    private final Duration timeout;
    private final DeniedPublishes denied;
    private final AccessPolicy access;

    public ConfigRequestInterceptor(final TopicLayout topics, final ConfigPipeline pipeline,
                                    final ConfigTopicPublisher publisher, final Duration timeout,
                                    final DeniedPublishes denied, final AccessPolicy access) {
        this.topics = topics;
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
            final Optional<RequestTopic> request = topics.parseRequest(topic);
            if (request.isPresent()) {
                final boolean authorized = access.mayWrite(ClientIdentity.of(clientId,
                        input.getConnectionInformation()), request.get().service());
                handle(request.get(), packet, clientId, mqtt5, authorized, output);
            } else if (topics.isExtensionOwned(topic)) {
                denied.deny(output, mqtt5, clientId, topic, "only config-manager publishes to " + topic);
            }
        } catch (final RuntimeException e) {
            log.error("config-manager: handling a publish by '{}' to '{}' failed", clientId, topic, e);
        }
    }

    private void handle(final RequestTopic request, final PublishPacket packet, final String clientId,
                        final boolean mqtt5, final boolean authorized, final PublishInboundOutput output) {
        final Async<PublishInboundOutput> async = mqtt5
                ? output.async(timeout, TimeoutFallback.FAILURE, AckReasonCode.UNSPECIFIED_ERROR,
                "store_unavailable: the request timed out")
                : output.async(timeout, TimeoutFallback.FAILURE, AckReasonCode.SUCCESS, null);
        final Optional<String> responseTopic = packet.getResponseTopic();
        final Optional<ByteBuffer> correlationData = packet.getCorrelationData();
        pipeline.submitMqtt(request, packet.getPayload().orElse(EMPTY), clientId, authorized)
                .whenComplete((answer, error) -> {
                    PubackReason puback = new PubackReason(AckReasonCode.UNSPECIFIED_ERROR, "internal");
                    try {
                        final Answer a = error == null ? answer : new Answer(Envelope.newId(),
                                Rejected.of(request.service(), ErrorCode.INTERNAL, "internal error"));
                        if (error != null) {
                            log.error("config-manager: request by '{}' on {} failed", clientId, request, error);
                        }
                        log.debug("config-manager: request {} by '{}' on {}: {}", a.requestId(), clientId, request,
                                a.result());
                        publisher.publishResult(a, request.service(), responseTopic, correlationData);
                        puback = mqtt5 ? PubackReason.of(a.result()) : PubackReason.SUCCESS;
                    } catch (final RuntimeException e) {
                        log.error("config-manager: answering a request by '{}' on {} failed", clientId, request, e);
                    } finally {
                        finish(output, async, puback);
                    }
                });
    }

    /** The request itself is never delivered: it is always stopped here, with the PUBACK that matches the result. */
    private static void finish(final PublishInboundOutput output, final Async<PublishInboundOutput> async,
                               final PubackReason puback) {
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
