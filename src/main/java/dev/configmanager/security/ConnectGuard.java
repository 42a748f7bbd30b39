package dev.configmanager.security;

import com.hivemq.extension.sdk.api.interceptor.connect.ConnectInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundInput;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.ModifiableConnectPacket;
import com.hivemq.extension.sdk.api.packets.connect.WillPublishPacket;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.wire.HealthStatus;
import dev.configmanager.wire.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;

/**
 * Looks at every CONNECT: keeps the username for the access rules, and removes a Last Will aimed at a topic only the
 * extension may publish to. The broker publishes wills itself, past the publish interceptors, so without this a
 * client could leave a forged retained config or health behind by simply dropping its connection.
 */
public final class ConnectGuard implements ConnectInboundInterceptor {

    private static final Logger log = LoggerFactory.getLogger(ConnectGuard.class);

    private final TopicLayout topics;
    private final HealthSettings health;

    public ConnectGuard(final TopicLayout topics, final HealthSettings health) {
        this.topics = topics;
        this.health = health;
    }

    @Override
    public void onConnect(final ConnectInboundInput input, final ConnectInboundOutput output) {
        final String clientId = input.getClientInformation().getClientId();
        try {
            input.getConnectPacket().getUserName().ifPresent(name -> input.getConnectionInformation()
                    .getConnectionAttributeStore().putAsString(ClientIdentity.USERNAME_ATTRIBUTE, name));
            final ModifiableConnectPacket connect = output.getConnectPacket();
            connect.getWillPublish().ifPresent(will -> {
                if (!willAllowed(clientId, will)) {
                    log.warn("config-manager: removed the Last Will of client '{}' on '{}': only config-manager "
                            + "publishes there", clientId, will.getTopic());
                    connect.setWillPublish(null);
                }
            });
        } catch (final RuntimeException e) {
            log.error("config-manager: checking the CONNECT of '{}' failed", clientId, e);
        }
    }

    private boolean willAllowed(final String clientId, final WillPublishPacket will) {
        final String topic = will.getTopic();
        if (topics.isExtensionOwned(topic) || topics.parseRequest(topic).isPresent()
                || TopicLayout.isUnder(topic, health.keepalivePrefix())) {
            return false;
        }
        if (TopicLayout.isUnder(topic, health.healthPrefix())) {
            return topic.equals(health.healthTopic(clientId)) && isHealth(will.getPayload().orElse(null));
        }
        return true;
    }

    private static boolean isHealth(final ByteBuffer payload) {
        try {
            return payload != null && HealthStatus.isValidEnvelope(Json.parse(Json.decodeUtf8(payload)));
        } catch (final Exception e) {
            return false;
        }
    }

}
