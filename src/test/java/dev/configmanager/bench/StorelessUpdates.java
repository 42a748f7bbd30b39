package dev.configmanager.bench;

import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.async.Async;
import com.hivemq.extension.sdk.api.async.TimeoutFallback;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.general.Qos;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import com.hivemq.extension.sdk.api.services.publish.Publish;
import dev.configmanager.LocalBroker;
import dev.configmanager.support.BrokerHome;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * HiveMQ's part of a config update with the store taken out, for figure 6: what an update costs the brokers before
 * any of the extension's own work or the database's. A request on {@code config/set/<service>} is held (the SDK's
 * async output), one thread standing in for the writer publishes the retained {@code config/updated/<service>} twice
 * (this broker's, and the one another broker writes when it catches up: with the requesters spread evenly every
 * broker writes as many of those as of its own), and once the first is handed over the answer goes to the response
 * topic and the request is released without delivery, as the extension does. No validation, no version, no commit;
 * its {@code config/updated} carries one user property where the extension's carries four, so it does a little less.
 */
final class StorelessUpdates implements ExtensionMain {

    /** What broker B prints once it has started. */
    private static final String READY = "storeless-updates is running";

    /** What the child broker prints once it takes connections, naming the persistence it started with. */
    static String ready(final boolean filePersistence) {
        return READY + " with " + (filePersistence ? "file" : "in-memory") + " persistence";
    }

    private static final String SET = "config/set/";
    private static final String ANSWER = "{\"result\":\"config.accepted\",\"service\":\"%s\",\"version\":%d}";
    private static final String UPDATED = "{\"service\":\"%s\",\"version\":%d,\"config\":%s,\"checksum\":\"%s\","
            + "\"updated_at\":\"2026-11-30T00:00:00Z\",\"updated_by\":\"bench\"}";

    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        final Thread t = new Thread(r, "storeless-writer");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Long> versions = new HashMap<>(); // the writer's thread only

    @Override
    public void extensionStart(final ExtensionStartInput input, final ExtensionStartOutput output) {
        Services.initializerRegistry()
                .setClientInitializer((init, client) -> client.addPublishInboundInterceptor(this::onInboundPublish));
    }

    @Override
    public void extensionStop(final ExtensionStopInput input, final ExtensionStopOutput output) {
        writer.shutdownNow();
    }

    private void onInboundPublish(final PublishInboundInput input, final PublishInboundOutput output) {
        final PublishPacket request = input.getPublishPacket();
        if (!request.getTopic().startsWith(SET)) {
            return;
        }
        final Async<PublishInboundOutput> held = output.async(Duration.ofSeconds(10), TimeoutFallback.FAILURE);
        final String service = request.getTopic().substring(SET.length());
        final ByteBuffer body = request.getPayload().orElse(ByteBuffer.allocate(0));
        final byte[] config = new byte[body.remaining()];
        body.get(config);
        writer.execute(() -> update(service, new String(config, StandardCharsets.UTF_8), request, output, held));
    }

    private void update(
            final String service,
            final String config,
            final PublishPacket request,
            final PublishInboundOutput output,
            final Async<PublishInboundOutput> held) {
        final long version = versions.merge(service, 1L, Long::sum);
        final var publishing = Services.publishService();
        final Publish updated = updated(service, version, config);
        publishing.publish(updated).whenComplete((done, error) -> {
            request.getResponseTopic().ifPresent(topic -> {
                final var answer = Builders.publish()
                        .topic(topic)
                        .qos(Qos.AT_LEAST_ONCE)
                        .payload(ByteBuffer.wrap(
                                ANSWER.formatted(service, version).getBytes(StandardCharsets.UTF_8)));
                request.getCorrelationData().ifPresent(c -> answer.correlationData(c.asReadOnlyBuffer()));
                publishing.publish(answer.build());
            });
            output.preventPublishDelivery();
            held.resume();
        });
        publishing.publish(updated(service, version, config));
    }

    private static Publish updated(final String service, final long version, final String config) {
        return Builders.publish()
                .topic("config/updated/" + service)
                .qos(Qos.AT_LEAST_ONCE)
                .retain(true)
                .contentType("application/json")
                .userProperty("version", Long.toString(version))
                .payload(ByteBuffer.wrap(UPDATED.formatted(service, version, config, "0".repeat(64))
                        .getBytes(StandardCharsets.UTF_8)))
                .build();
    }

    /** Broker B of the comparison, in a child JVM: a broker with this extension, home and port as the run command's. */
    public static void main(final String[] args) throws Exception {
        LocalBroker.stopWithParent();
        final boolean filePersistence = LocalBroker.filePersistence();
        final BrokerHome home = new BrokerHome(
                Path.of(System.getenv("CM_HOME")),
                "127.0.0.1",
                Integer.parseInt(System.getenv("CM_MQTT_PORT")),
                filePersistence);
        final EmbeddedHiveMQ hivemq = home.embedded(new StorelessUpdates(), "storeless-updates", "Storeless updates");
        hivemq.start().get(300, TimeUnit.SECONDS);
        System.out.println(ready(filePersistence));
        Thread.currentThread().join();
    }
}
