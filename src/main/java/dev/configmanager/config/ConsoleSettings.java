package dev.configmanager.config;

import java.util.List;
import java.util.Locale;

/**
 * The admin console's HTTP server and who may use it.
 *
 * @param hosts  names the console answers to besides IP literals and {@code localhost} (DNS rebinding protection)
 * @param tokens console tokens, each stored as the SHA-256 of the token, never the token itself
 */
public record ConsoleSettings(boolean enabled, String bind, int port, List<String> hosts, List<Token> tokens) {

    public static final String DEFAULT_BIND = "127.0.0.1";
    public static final int DEFAULT_PORT = 8081;

    /** What a token lets its holder do; each role includes the ones before it. */
    public enum Role {
        READ,
        WRITE,
        ADMIN;

        public static Role parse(final String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (final IllegalArgumentException e) {
                return null;
            }
        }

        public boolean includes(final Role other) {
            return compareTo(other) >= 0;
        }
    }

    /** @param sha256 lowercase hex SHA-256 of the token's UTF-8 bytes */
    public record Token(String name, Role role, String sha256) {}

    public ConsoleSettings {
        hosts = List.copyOf(hosts);
        tokens = List.copyOf(tokens);
    }

    public static ConsoleSettings defaults() {
        return new ConsoleSettings(true, DEFAULT_BIND, DEFAULT_PORT, List.of(), List.of());
    }
}
