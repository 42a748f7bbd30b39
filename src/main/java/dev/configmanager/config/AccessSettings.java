package dev.configmanager.config;

import org.jspecify.annotations.Nullable;

import java.util.List;

/**
 * Who may write which services' configs and read (subscribe to) which {@code config/updated/<service>} and
 * {@code config/result/<service>}. The first rule whose client-id and username patterns match a client applies; a
 * client no rule matches gets {@link #defaultAllow}: everything (the laptop default) or nothing (the secure profile).
 *
 * @param defaultAllow what a client matched by no rule may do
 */
public record AccessSettings(boolean defaultAllow, List<Rule> rules) {

    /**
     * @param clientId glob on the client id ({@code *}, {@code ?})
     * @param username glob on the username; {@code null} matches any client, with or without a username
     * @param write    service globs the client may write; {@code ${client-id}} and {@code ${username}} are replaced
     * @param read     service globs the client may read
     */
    public record Rule(String clientId, @Nullable String username, List<String> write, List<String> read) {
        public Rule {
            write = List.copyOf(write);
            read = List.copyOf(read);
        }
    }

    public AccessSettings {
        rules = List.copyOf(rules);
    }

    public static AccessSettings allowAll() {
        return new AccessSettings(true, List.of());
    }
}
