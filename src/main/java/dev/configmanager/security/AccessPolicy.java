package dev.configmanager.security;

import dev.configmanager.config.AccessSettings;
import dev.configmanager.config.Glob;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Decides config access from {@link AccessSettings}: the first rule whose client-id and username patterns match the
 * client applies, otherwise the default. Patterns are compiled once; {@code ${client-id}} and {@code ${username}} are
 * filled in per client, as literal text.
 */
public final class AccessPolicy {

    private final boolean defaultAllow;
    private final List<CompiledRule> rules;

    private record CompiledRule(Pattern clientId, Pattern username, List<String> write, List<String> read) {
        boolean matches(final ClientIdentity who) {
            return clientId.matcher(who.clientId()).matches()
                    && (username == null || who.username() != null && username.matcher(who.username()).matches());
        }
    }

    public AccessPolicy(final AccessSettings settings) {
        this.defaultAllow = settings.defaultAllow();
        this.rules = settings.rules().stream().map(r -> new CompiledRule(Glob.compile(r.clientId()),
                r.username() == null ? null : Glob.compile(r.username()), r.write(), r.read())).toList();
    }

    public boolean mayWrite(final ClientIdentity who, final String service) {
        return rule(who).map(r -> anyMatches(r.write(), who, service)).orElse(defaultAllow);
    }

    public boolean mayRead(final ClientIdentity who, final String service) {
        return rule(who).map(r -> anyMatches(r.read(), who, service)).orElse(defaultAllow);
    }

    /** Whether the client may read every service, which a wildcard subscription would give it. */
    public boolean mayReadAll(final ClientIdentity who) {
        return rule(who).map(r -> r.read().contains("*")).orElse(defaultAllow);
    }

    private Optional<CompiledRule> rule(final ClientIdentity who) {
        return rules.stream().filter(r -> r.matches(who)).findFirst();
    }

    private static boolean anyMatches(final List<String> patterns, final ClientIdentity who, final String service) {
        for (final String pattern : patterns) {
            if (pattern.contains("${username}") && who.username() == null) {
                continue;
            }
            final String filled = pattern.replace("${client-id}", literal(who.clientId()))
                    .replace("${username}", who.username() == null ? "" : literal(who.username()));
            if (Glob.compile(filled).matcher(service).matches()) {
                return true;
            }
        }
        return false;
    }

    /** A client's own id or name must not act as a wildcard inside a pattern. */
    private static String literal(final String s) {
        return s.replace("*", "\u0000").replace("?", "\u0000");
    }
}
