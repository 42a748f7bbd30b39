package dev.configmanager.mqtt;

import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.Requester.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With {@code unknown-service-policy} reject, only services that have a schema can be written. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UnknownServicePolicyTest {

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("<schemas><unknown-service-policy>reject</unknown-service-policy></schemas>");

    @Test
    void serviceWithoutSchemaIsRejectedAsUnknownAndAServiceWithOneIsAccepted() throws Exception {
        try (Requester r = new Requester(broker.port(), "ops")) {
            final Reply unknown = r.send("set", "no-schema-here", "{\"config\": {\"a\": 1}}");
            assertEquals(
                    "unknown_service", unknown.errorCode(), unknown.envelope().toString());
            assertTrue(r.send("set", "wake-activation", "{\"config\": {\"wake_detection_threshold\": 0.4}}")
                    .accepted());
        }
    }
}
