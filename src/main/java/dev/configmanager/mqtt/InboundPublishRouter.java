package dev.configmanager.mqtt;

import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import dev.configmanager.config.HealthSettings;
import dev.configmanager.config.TopicLayout;

/**
 * The extension's one publish interceptor. HiveMQ hands every publish to each registered interceptor in turn, so
 * one interceptor that picks the right handler by topic keeps the cost on ordinary traffic to a single, cheap call.
 */
public final class InboundPublishRouter implements PublishInboundInterceptor {

    private final HealthSettings health;
    private final PublishInboundInterceptor healthTopics;
    private final PublishInboundInterceptor configTopics;

    public InboundPublishRouter(
            final HealthSettings health,
            final PublishInboundInterceptor healthTopics,
            final PublishInboundInterceptor configTopics) {
        this.health = health;
        this.healthTopics = healthTopics;
        this.configTopics = configTopics;
    }

    @Override
    public void onInboundPublish(final PublishInboundInput input, final PublishInboundOutput output) {
        final String topic = input.getPublishPacket().getTopic();
        if (TopicLayout.isUnder(topic, health.healthPrefix()) || TopicLayout.isUnder(topic, health.keepalivePrefix())) {
            healthTopics.onInboundPublish(input, output);
        } else {
            configTopics.onInboundPublish(input, output);
        }
    }
}
