package dev.configmanager.security;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishOutboundOutput;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.wire.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * Read rules judged at delivery: no client receives a {@code config/updated/<service>} or
 * {@code config/result/<service>} message that the rules do not let <em>it</em> read, however it came by the
 * subscription. The {@link ConfigAccessAuthorizer} refuses a SUBSCRIBE, but a client that resumes another client's
 * persistent session (same client id, clean start false) inherits that session's subscriptions and queued messages
 * without ever subscribing, and only this check sees those deliveries.
 */
public final class ConfigReadGuard implements PublishOutboundInterceptor {

    private static final Logger log = LoggerFactory.getLogger(ConfigReadGuard.class);
    /** Set by {@link ConnectGuard} on a connection whose CONNECT asked to resume a session. */
    static final String RESUMES_SESSION_ATTRIBUTE = "config-manager.resumes-session";

    private final TopicLayout topics;
    private final AccessPolicy policy;
    private final OncePerMinute refusals = new OncePerMinute();

    public ConfigReadGuard(final TopicLayout topics, final AccessPolicy policy) {
        this.topics = topics;
        this.policy = policy;
    }

    /**
     * Whether a client's deliveries need judging. Only a client that connected with clean start off (MQTT 3: clean
     * session 0) can resume a session, and so hold subscriptions it never made; every subscription of any other client
     * was judged at SUBSCRIBE by its own identity. A client that may read every service needs no judging either. So
     * the cost of an outbound interceptor is paid only where it buys something.
     */
    public boolean isNeededFor(final String clientId, final ConnectionInformation connection) {
        return connection
                        .getConnectionAttributeStore()
                        .getAsString(RESUMES_SESSION_ATTRIBUTE)
                        .isPresent()
                && !policy.mayReadAll(ClientIdentity.of(clientId, connection));
    }

    @Override
    public void onOutboundPublish(final PublishOutboundInput input, final PublishOutboundOutput output) {
        final String topic = input.getPublishPacket().getTopic();
        if (!topics.isExtensionOwned(topic)) {
            return; // every other topic: one prefix check, nothing more
        }
        final String clientId = input.getClientInformation().getClientId();
        try {
            final ClientIdentity who = ClientIdentity.of(clientId, input.getConnectionInformation());
            final Optional<String> service = topics.serviceOfOwnedTopic(topic);
            if (service.isPresent() ? !policy.mayRead(who, service.get()) : !policy.mayReadAll(who)) {
                refuse(output, clientId, topic);
            }
        } catch (final RuntimeException e) {
            log.error(
                    "config-manager: judging a delivery to '{}' failed; not delivered",
                    ClientText.escape(clientId, 80),
                    e);
            output.preventPublishDelivery();
        }
    }

    private void refuse(final PublishOutboundOutput output, final String clientId, final String topic) {
        output.preventPublishDelivery();
        if (refusals.first(clientId)) {
            log.warn(
                    "config-manager: did not deliver '{}' to client '{}': the access rules do not let it read that "
                            + "service (a subscription it inherited with a resumed session?)",
                    ClientText.escape(topic, 120),
                    ClientText.escape(clientId, 80));
        }
    }
}
