package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.MqttVersion;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.mqtt.DeniedPublishes;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.Envelope;
import dev.configmanager.wire.HealthStatus;
import dev.configmanager.wire.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Nobody forges health. Clients may not publish keepalives at all. A tracked, connected client may publish health about
 * itself on its own {@code system/health/<client-id>} (or the one alias topic configured for it), in the health
 * contract's shape and not in the extension's name;
 * the extension takes that publish out of the flow and publishes it itself, in sequence with the connect and
 * disconnect states it publishes for the client, so nothing a client sends can land after its disconnect and leave it
 * shown alive. Everything else under the health topics is refused.
 */
public final class HealthTopicGuard implements PublishInboundInterceptor {

    private static final Logger log = LoggerFactory.getLogger(HealthTopicGuard.class);
    private static final int MAX_HEALTH_BYTES = 16 * 1024;
    private static final Duration RELAY_TIMEOUT = Duration.ofSeconds(10);

    private final HealthSettings settings;
    private final ClientHealthTracker tracker;
    private final DeniedPublishes denied;

    public HealthTopicGuard(
            final HealthSettings settings, final ClientHealthTracker tracker, final DeniedPublishes denied) {
        this.settings = settings;
        this.tracker = tracker;
        this.denied = denied;
    }

    @Override
    public void onInboundPublish(final PublishInboundInput input, final PublishInboundOutput output) {
        final PublishPacket packet = input.getPublishPacket();
        final String topic = packet.getTopic();
        final String clientId = input.getClientInformation().getClientId();
        try {
            final boolean mqtt5 = input.getConnectionInformation().getMqttVersion() == MqttVersion.V_5;
            if (TopicLayout.isUnder(topic, settings.keepalivePrefix())) {
                denied.deny(output, mqtt5, clientId, topic, "only config-manager publishes keepalives");
            } else if (TopicLayout.isUnder(topic, settings.healthPrefix())) {
                final boolean own = topic.equals(settings.healthTopic(clientId))
                        || settings.aliasTopic(clientId).filter(topic::equals).isPresent();
                final byte[] envelope = own ? ownHealth(packet) : null;
                if (!own) {
                    denied.deny(
                            output,
                            mqtt5,
                            clientId,
                            topic,
                            "a client may publish health only on " + settings.healthPrefix()
                                    + "/<its own client id> (or the alias configured for it)");
                } else if (envelope == null) {
                    denied.deny(
                            output,
                            mqtt5,
                            clientId,
                            topic,
                            "health must be a health.status envelope with data {message_id, ok, event?, err?, "
                                    + "timestamp}, from a source other than config-manager");
                } else {
                    relay(output, mqtt5, clientId, topic, envelope, packet.getRetain());
                }
            }
        } catch (final RuntimeException e) {
            log.error(
                    "config-manager: checking a publish by '{}' to '{}' failed",
                    ClientText.escape(clientId, 80),
                    ClientText.escape(topic, 120),
                    e);
            DeniedPublishes.failClosed(output);
        }
    }

    /**
     * Published by the extension instead, in order. The client's publish is held until that publish is done: HiveMQ
     * runs one client's interceptions one after another, so a client that floods its health topic is slowed to the
     * pace of the broker's retained store instead of queueing copies without end.
     */
    private void relay(
            final PublishInboundOutput output,
            final boolean mqtt5,
            final String clientId,
            final String topic,
            final byte[] envelope,
            final boolean retain) {
        final Async<PublishInboundOutput> async = output.async(RELAY_TIMEOUT, TimeoutFallback.FAILURE);
        try {
            final CompletableFuture<Void> relayed = tracker.relayOwnHealth(clientId, envelope, retain);
            if (relayed == null) {
                denied.deny(
                        output,
                        mqtt5,
                        clientId,
                        topic,
                        "only tracked, connected clients have a health topic " + "of their own");
                async.resume();
                return;
            }
            output.preventPublishDelivery();
            relayed.whenComplete((ok, error) -> async.resume());
        } catch (final RuntimeException e) {
            // refused, and resumed now rather than when the SDK's timeout fires
            log.error("config-manager: relaying the health of '{}' failed", ClientText.escape(clientId, 80), e);
            DeniedPublishes.failClosed(output);
            async.resume();
        }
    }

    /** The payload, if it keeps to the health contract and does not speak for the extension; else {@code null}. */
    private static byte[] ownHealth(final PublishPacket packet) {
        final ByteBuffer payload = packet.getPayload().orElse(null);
        if (payload == null || payload.remaining() == 0 || payload.remaining() > MAX_HEALTH_BYTES) {
            return null;
        }
        try {
            final JsonNode node = Json.parse(Json.decodeUtf8(payload));
            if (!HealthStatus.isValidEnvelope(node)
                    || node.get("source").textValue().strip().equalsIgnoreCase(Envelope.SOURCE)) {
                return null;
            }
            final byte[] bytes = new byte[payload.remaining()];
            payload.duplicate().get(bytes);
            return bytes;
        } catch (final Exception e) {
            return null;
        }
    }
}
