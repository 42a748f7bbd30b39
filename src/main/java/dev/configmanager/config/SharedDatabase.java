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
        final String url = fromEnvironment(r.text("database/url", "", value -> value));
        if (url == null) {
            return null;
        }
        final String username = fromEnvironment(r.text("database/username", "", value -> value));
        String password = fromEnvironment(r.text("database/password", "", value -> value));
        final String passwordFile = fromEnvironment(r.text("database/password-file", "", value -> value));
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
        final String nodeName = r.text("database/node-name", "", value -> {
            final String resolved = fromEnvironment(value);
            return resolved == null ? "" : NODE_NAME.matcher(resolved).matches() ? resolved : null;
        });
        final String publisher = r.text("database/publisher", "all", value -> {
            final String resolved = fromEnvironment(value);
            return resolved == null ? "all" : resolved.equals("all") || resolved.equals("one") ? resolved : null;
        });
        return new SharedDatabase(
                url,
                username == null ? "" : username,
                password == null ? "" : password,
                nodeName.isBlank() ? null : nodeName,
                publisher.equals("one"));
    }

    /** A value, or the environment variable it names as {@code ${ENV:NAME}}; blank (or unset) means absent. */
    static @Nullable String fromEnvironment(final String value) {
        final java.util.regex.Matcher env =
                java.util.regex.Pattern.compile("\\$\\{ENV:([A-Za-z0-9_]+)}").matcher(value.strip());
        final String resolved = env.matches() ? System.getenv(env.group(1)) : value.strip();
        return resolved == null || resolved.isBlank() ? null : resolved;
    }

    @Override
    public String toString() {
        return "SharedDatabase[url=" + url + ", username=" + username + ", password=(hidden), nodeName=" + nodeName
                + ", publisher=" + (singlePublisher ? "one" : "all") + "]";
    }
}
