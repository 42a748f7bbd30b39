package dev.configmanager.mqtt;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import dev.configmanager.security.OncePerMinute;
import dev.configmanager.wire.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a client publish to a topic the extension owns: MQTT 5 gets PUBACK not-authorized with the reason, MQTT 3
 * (which has no reason codes, and which HiveMQ would disconnect for one) has the message dropped. Also counts response
 * topics refused for the same reason. Every refusal is counted; the log names the client and topic at most once a
 * minute per client, so a flood cannot fill the log.
 */
public final class DeniedPublishes {

    public static final String METRIC = "dev.configmanager.publishes.denied";
    public static final String RESPONSE_TOPIC_METRIC = "dev.configmanager.response-topics.refused";
    private static final Logger log = LoggerFactory.getLogger(DeniedPublishes.class);

    private final Counter denied;
    private final Counter refusedResponseTopics;
    private final OncePerMinute deniedLogged = new OncePerMinute();
    private final OncePerMinute refusedLogged = new OncePerMinute();

    public DeniedPublishes(final MetricRegistry metrics) {
        this.denied = metrics.counter(METRIC);
        this.refusedResponseTopics = metrics.counter(RESPONSE_TOPIC_METRIC);
    }

    /** @param reason names the rule, never the client's own text: it becomes the PUBACK reason string */
    public void deny(
            final PublishInboundOutput output,
            final boolean mqtt5,
            final String clientId,
            final String topic,
            final String reason) {
        denied.inc();
        logOnce(deniedLogged, clientId, "denied publish by client '{}' to '{}': {}", topic, reason);
        if (mqtt5) {
            output.preventPublishDelivery(AckReasonCode.NOT_AUTHORIZED, PubackReason.reasonString(reason));
        } else {
            output.preventPublishDelivery();
        }
    }

    /**
     * A publish to the extension's topics that could not be judged (a defect) is not delivered: HiveMQ delivers a
     * publish that no interceptor stopped.
     */
    public static void failClosed(final PublishInboundOutput output) {
        try {
            output.preventPublishDelivery();
        } catch (final RuntimeException ignored) {
            // already decided (a second decision is refused): the first one stands
        }
    }

    /** A request asked for its result on a topic the extension may not publish to on a client's say-so. */
    public void refuseResponseTopic(final String clientId, final String responseTopic) {
        refusedResponseTopics.inc();
        logOnce(
                refusedLogged,
                clientId,
                "refused the response topic of client '{}', '{}': {}",
                responseTopic,
                "config-manager does not publish results there; the result goes to the service's result topic");
    }

    private static void logOnce(
            final OncePerMinute once,
            final String clientId,
            final String format,
            final String topic,
            final String reason) {
        if (once.first(clientId)) {
            log.warn(
                    "config-manager: " + format,
                    ClientText.escape(clientId, 80),
                    ClientText.escape(topic, 120),
                    reason);
        }
    }
}
