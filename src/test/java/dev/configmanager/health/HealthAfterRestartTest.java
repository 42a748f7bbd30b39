package dev.configmanager.health;

import com.fasterxml.jackson.databind.JsonNode;
import com.hivemq.extension.sdk.api.services.Services;
import com.hivemq.extension.sdk.api.services.builder.Builders;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Health left saying ok by a broker that went down without telling anyone becomes broker_restart at start. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HealthAfterRestartTest {

    @RegisterExtension
    static final BrokerExtension fixture = BrokerExtension.manual();

    @Test
    void staleRetainedOkFromBeforeARestartBecomesBrokerRestart() throws Exception {
        final TestBroker broker = fixture.start(dir -> TestBroker.startPersistent(dir, ""));
        // What a crash leaves behind: ok:true for a client whose disconnect was never seen.
        final String leftover = "{\"id\":\"0123456789abcdef0123456789abcdef\",\"type\":\"health.status\","
                + "\"ts\":1729255022.036,\"source\":\"config-manager\",\"data\":{\"message_id\":\"m\",\"ok\":true,"
                + "\"event\":\"connected\",\"timestamp\":1729255022.036}}";
        Services.retainedMessageStore()
                .addOrReplace(Builders.retainedPublish()
                        .topic("system/health/ghost")
                        .payload(ByteBuffer.wrap(leftover.getBytes(StandardCharsets.UTF_8)))
                        .qos(com.hivemq.extension.sdk.api.packets.general.Qos.AT_LEAST_ONCE)
                        .build())
                .get(10, TimeUnit.SECONDS);
        final String gone = leftover.replace("\"ok\":true", "\"ok\":false").replace("connected", "disconnected");
        Services.retainedMessageStore()
                .addOrReplace(Builders.retainedPublish()
                        .topic("system/health/departed")
                        .payload(ByteBuffer.wrap(gone.getBytes(StandardCharsets.UTF_8)))
                        .qos(com.hivemq.extension.sdk.api.packets.general.Qos.AT_LEAST_ONCE)
                        .build())
                .get(10, TimeUnit.SECONDS);

        broker.restartOnSameHome();

        final JsonNode ghost = RetainedReader.receiveJson(broker.port(), "system/health/ghost");
        assertFalse(ghost.get("data").get("ok").asBoolean(), ghost.toString());
        assertEquals("broker_restart", ghost.get("data").get("event").asText());
        assertEquals("config-manager", ghost.get("source").asText());
        final JsonNode departed = RetainedReader.receiveJson(broker.port(), "system/health/departed");
        assertEquals("disconnected", departed.get("data").get("event").asText(), "already not ok: left alone");
        final JsonNode self = RetainedReader.receiveJson(broker.port(), "system/health/config-manager");
        assertTrue(self.get("data").get("ok").asBoolean(), "the extension's own health is fresh: " + self);
    }
}
