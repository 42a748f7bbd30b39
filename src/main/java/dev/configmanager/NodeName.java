package dev.configmanager;

import com.hivemq.extension.sdk.api.client.parameter.Listener;
import com.hivemq.extension.sdk.api.client.parameter.ServerInformation;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.SharedDatabase;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Comparator;

/**
 * How this broker is named among the brokers of a shared database: {@code <database><node-name>}, or its host name
 * and lowest MQTT port ({@code mqtt-1.example:1883}), which tells apart two brokers on one host.
 */
final class NodeName {

    private NodeName() {}

    static String of(final ExtensionSettings settings, final ServerInformation server) {
        final SharedDatabase shared = settings.sharedDatabase();
        if (shared != null && shared.nodeName() != null) {
            return shared.nodeName();
        }
        String port;
        try {
            port = server.getListener().stream()
                    .map(Listener::getPort)
                    .min(Comparator.naturalOrder())
                    .map(p -> ":" + p)
                    .orElse("");
        } catch (final RuntimeException e) {
            port = ""; // a broker that cannot list its listeners: the host name alone
        }
        final String name = (host() + port).replaceAll("[^A-Za-z0-9._:@-]", "_");
        return name.length() > 128 ? name.substring(0, 128) : name;
    }

    private static String host() {
        final String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (final UnknownHostException e) {
            return "broker";
        }
    }
}
