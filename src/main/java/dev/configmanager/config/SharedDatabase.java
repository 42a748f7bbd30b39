package dev.configmanager.config;

import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A PostgreSQL database that several brokers share ({@code <database><url>}); without one, the store is the embedded
 * H2 file at {@code <database><path>}.
 *
 * @param url             {@code jdbc:postgresql://host:port/database}
 * @param password        never logged: {@link #toString()} leaves it out
 * @param nodeName        how this broker is named among the brokers of the database ({@code <node-name>}), or
 *                        {@code null} for the default (host name and MQTT port)
 * @param singlePublisher {@code <publisher>one</publisher>}: one broker at a time publishes what the others commit
 *                        (a HiveMQ Enterprise cluster, whose retained store is cluster-wide); {@code all} (the
 *                        default) for independent CE brokers, each with its own retained store
 */
public record SharedDatabase(
        String url,
        String username,
        String password,
        @Nullable String nodeName,
        boolean singlePublisher) {

    /** What a node name may hold: it is shown in the console and stored in a column of that size. */
    public static final Pattern NODE_NAME = Pattern.compile("[A-Za-z0-9._:@-]{1,128}");

    public SharedDatabase(final String url, final String username, final String password) {
        this(url, username, password, null, false);
    }

    /**
     * {@code <database><url>} with {@code <username>} and {@code <password>} or {@code <password-file>}; each may be
     * {@code ${ENV:NAME}}, read from the broker's environment (the run command's {@code CM_DATABASE_*}). A URL with
     * its credentials incomplete is still returned: opening it fails and writes are refused, never sent to a local
     * file that the other brokers do not see.
     */
    static @Nullable SharedDatabase read(final XmlValues r) {
        final String url = r.optional("database/url");
        if (url == null) {
            return null;
        }
        final String username = r.optional("database/username");
        String password = r.optional("database/password");
        final String passwordFile = r.optional("database/password-file");
        if (password == null && passwordFile != null) {
            try {
                password = Files.readString(Path.of(passwordFile)).strip();
            } catch (final java.io.IOException | RuntimeException e) {
                LoggerFactory.getLogger(SharedDatabase.class)
                        .error(
                                "config-manager: <database><password-file> {} cannot be read ({}); the database will refuse "
                                        + "the connection",
                                passwordFile,
                                e.getClass().getSimpleName());
            }
        }
        final String nodeName = r.text(
                "database/node-name", "", value -> NODE_NAME.matcher(value).matches() ? value : null);
        final String publisher =
                r.text("database/publisher", "all", value -> value.equals("all") || value.equals("one") ? value : null);
        return new SharedDatabase(
                url,
                username == null ? "" : username,
                password == null ? "" : password,
                nodeName.isBlank() ? null : nodeName,
                publisher.equals("one"));
    }

    @Override
    public String toString() {
        return "SharedDatabase[url=" + url + ", username=" + username + ", password=(hidden), nodeName=" + nodeName
                + ", publisher=" + (singlePublisher ? "one" : "all") + "]";
    }
}
