package dev.configmanager.mqtt;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * Refuses a client publish to a topic the extension owns: MQTT 5 gets PUBACK not-authorized with the reason, MQTT 3
 * (which has no reason codes, and which HiveMQ would disconnect for one) has the message dropped. Every denial is
 * counted; the log names the client and topic at most once a minute per client, so a flood cannot fill the log.
 */
public final class DeniedPublishes {

    public static final String METRIC = "dev.configmanager.publishes.denied";
    private static final Logger log = LoggerFactory.getLogger(DeniedPublishes.class);

    private final Counter denied;
    private final Cache<String, Boolean> recentlyLogged = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1))
            .maximumSize(10_000)
            .build();

    public DeniedPublishes(final MetricRegistry metrics) {
        this.denied = metrics.counter(METRIC);
    }

    public void deny(final PublishInboundOutput output, final boolean mqtt5, final String clientId,
                     final String topic, final String reason) {
        denied.inc();
        if (recentlyLogged.asMap().putIfAbsent(clientId, Boolean.TRUE) == null) {
            log.warn("config-manager: denied publish by client '{}' to '{}': {}", clientId, topic, reason);
        }
        if (mqtt5) {
            output.preventPublishDelivery(AckReasonCode.NOT_AUTHORIZED, reason);
        } else {
            output.preventPublishDelivery();
        }
    }
}
