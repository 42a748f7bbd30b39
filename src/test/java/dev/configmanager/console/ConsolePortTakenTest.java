package dev.configmanager.console;

import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A console port that is already taken leaves the broker and the MQTT side of the extension working. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsolePortTakenTest {

    static final ServerSocket squatter = occupy();

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("<console><port>" + squatter.getLocalPort() + "</port></console>");

    @AfterAll
    static void release() throws IOException {
        squatter.close();
    }

    @Test
    void brokerAndMqttRequestsWorkWithoutTheConsole() throws Exception {
        assertFalse(Files.exists(TestBroker.disabledMarker()));
        try (Requester r = new Requester(broker.port(), "ops")) {
            assertTrue(r.send("set", "router", "{\"config\": {}}").accepted());
        }
    }

    private static ServerSocket occupy() {
        try {
            return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
