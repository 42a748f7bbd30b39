package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.MqttVersion;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.mqtt.DeniedPublishes;
import dev.configmanager.wire.HealthStatus;
import dev.configmanager.wire.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;

/**
 * Nobody forges health. Clients may not publish keepalives at all, and may publish health only on their own
 * {@code system/health/<client-id>} and only in the health contract's shape; everything else under the health topics
 * is refused.
 */
public final class HealthTopicGuard implements PublishInboundInterceptor {

    private static final Logger log = LoggerFactory.getLogger(HealthTopicGuard.class);
    private static final int MAX_HEALTH_BYTES = 16 * 1024;

    private final HealthSettings settings;
    private final DeniedPublishes denied;

    public HealthTopicGuard(final HealthSettings settings, final DeniedPublishes denied) {
        this.settings = settings;
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
                if (!topic.equals(settings.healthTopic(clientId)) || TrackedClients.SELF.equals(clientId)) {
                    denied.deny(output, mqtt5, clientId, topic, "a client may publish health only on "
                            + settings.healthPrefix() + "/<its own client id>");
                } else if (!isHealthContract(packet)) {
                    denied.deny(output, mqtt5, clientId, topic, "health must be a health.status envelope with data "
                            + "{message_id, ok, event?, err?, timestamp}");
                }
            }
        } catch (final RuntimeException e) {
            log.error("config-manager: checking a publish by '{}' to '{}' failed", clientId, topic, e);
        }
    }

    private static boolean isHealthContract(final PublishPacket packet) {
        final ByteBuffer payload = packet.getPayload().orElse(null);
        if (payload == null || payload.remaining() == 0 || payload.remaining() > MAX_HEALTH_BYTES) {
            return false;
        }
        try {
            final JsonNode node = Json.parse(Json.decodeUtf8(payload));
            return HealthStatus.isValidEnvelope(node);
        } catch (final Exception e) {
            return false;
        }
    }

}
