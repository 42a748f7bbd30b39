package dev.configmanager.support;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A HiveMQ home on disk (conf/, data/, extensions/) and the embedded broker started from it, with config-manager
 * either embedded from the classpath or loaded by HiveMQ's own extension loader from {@code extensions/}.
 */
public final class BrokerHome {

    public final Path root;
    public final Path conf;
    public final Path data;
    public final Path extensions;

    public BrokerHome(final Path root, final String bindAddress, final int port, final boolean filePersistence)
            throws IOException {
        this.root = root;
        this.conf = Files.createDirectories(root.resolve("conf"));
        this.data = Files.createDirectories(root.resolve("data"));
        this.extensions = Files.createDirectories(root.resolve("extensions"));
        Files.writeString(
                conf.resolve("config.xml"), """
                <?xml version="1.0"?>
                <hivemq>
                    <listeners>
                        <tcp-listener><port>%d</port><bind-address>%s</bind-address></tcp-listener>
                    </listeners>
                    <persistence><mode>%s</mode></persistence>
                    <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>
                </hivemq>
                """.formatted(port, bindAddress, filePersistence ? "file" : "in-memory"));
    }

    /** A broker with config-manager running from the classpath ({@code main} knows its extension home). */
    public EmbeddedHiveMQ embedded(final ExtensionMain main) {
        return embedded(main, "config-manager", "Config Manager");
    }

    /** A broker with another embedded extension (a benchmark's stand-in). */
    public EmbeddedHiveMQ embedded(final ExtensionMain main, final String id, final String name) {
        final EmbeddedExtension extension = EmbeddedExtension.builder()
                .withId(id)
                .withName(name)
                .withVersion(dev.configmanager.config.ExtensionVersion.get())
                .withPriority(1000)
                .withStartPriority(1000)
                .withExtensionMain(main)
                .build();
        return EmbeddedHiveMQ.builder()
                .withConfigurationFolder(conf)
                .withDataFolder(data)
                .withExtensionsFolder(extensions)
                .withEmbeddedExtension(extension)
                .build();
    }

    /** A broker that loads whatever is unzipped in {@code extensions/}, as a production broker does. */
    public EmbeddedHiveMQ withLoadedExtensions() {
        return EmbeddedHiveMQ.builder()
                .withConfigurationFolder(conf)
                .withDataFolder(data)
                .withExtensionsFolder(extensions)
                .build();
    }
}
