package dev.configmanager.config;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** This build's version, from the resource Maven writes at build time ({@code unknown} when run from an IDE). */
public final class ExtensionVersion {

    private static final String VERSION = read();

    private ExtensionVersion() {}

    public static String get() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = ExtensionVersion.class.getResourceAsStream("/dev/configmanager/version.properties")) {
            if (in == null) {
                return "unknown";
            }
            final Properties p = new Properties();
            p.load(in);
            final String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (final IOException e) {
            return "unknown";
        }
    }
}
