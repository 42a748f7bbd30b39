package dev.configmanager;

import com.hivemq.extension.sdk.api.client.parameter.ServerInformation;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The extension stops and starts again inside one running broker (as when HiveMQ re-enables it): what it registered
 * at start (metrics, the store, the console) is released at stop, so the second start works like the first.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ExtensionRestartTest {

    @RegisterExtension
    static final BrokerExtension broker = BrokerExtension.withDefaults();

    @Test
    void stopThenStartInTheSameBrokerServesRequestsAgain() throws Exception {
        try (Requester r = new Requester(broker.port(), "before-restart")) {
            assertTrue(r.send("set", "svc-restart", "{\"config\": {\"n\": 1}}").accepted());
        }
        final ConfigManagerMain main = broker.broker().main();
        main.extensionStop(null, null);
        final List<String> prevented = new ArrayList<>();
        main.extensionStart(startInput(), startOutput(prevented));
        assertEquals(List.of(), prevented, "the second start was not prevented");

        try (Requester r = new Requester(broker.port(), "after-restart")) {
            final Requester.Reply reply = r.send("set", "svc-restart", "{\"config\": {\"n\": 2}}");
            assertTrue(reply.accepted(), reply.envelope().toString());
            assertEquals(2, reply.version(), "the same database, opened again");
        }
        assertEquals(
                2,
                RetainedReader.receiveJson(broker.port(), "config/updated/svc-restart")
                        .get("config")
                        .get("n")
                        .asInt());
    }

    private static ExtensionStartInput startInput() {
        final ServerInformation server = (ServerInformation) Proxy.newProxyInstance(
                ExtensionRestartTest.class.getClassLoader(),
                new Class<?>[] {ServerInformation.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getDataFolder" -> broker.broker().dataFolder().toFile();
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (ExtensionStartInput) Proxy.newProxyInstance(
                ExtensionRestartTest.class.getClassLoader(),
                new Class<?>[] {ExtensionStartInput.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getServerInformation" -> server;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static ExtensionStartOutput startOutput(final List<String> prevented) {
        return (ExtensionStartOutput) Proxy.newProxyInstance(
                ExtensionRestartTest.class.getClassLoader(),
                new Class<?>[] {ExtensionStartOutput.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("preventExtensionStartup")) {
                        prevented.add(String.valueOf(args[0]));
                    }
                    return null;
                });
    }
}
