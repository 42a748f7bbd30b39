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

    /**
     * A service pattern: compiled once, unless it names the client ({@code ${client-id}}, {@code ${username}}); those
     * are filled in and compiled per decision. Reads are judged at every delivery, so the common case stays cheap.
     */
    private record ServicePattern(String template, Pattern compiled) {
        static ServicePattern of(final String pattern) {
            return new ServicePattern(pattern, pattern.contains("${") ? null : Glob.compile(pattern));
        }

        boolean matches(final ClientIdentity who, final String service) {
            if (compiled != null) {
                return compiled.matcher(service).matches();
            }
            if (template.contains("${username}") && who.username() == null) {
                return false;
            }
            final String filled = template.replace("${client-id}", literal(who.clientId()))
                    .replace("${username}", who.username() == null ? "" : literal(who.username()));
            return Glob.compile(filled).matcher(service).matches();
        }
    }

    private record CompiledRule(
            Pattern clientId,
            Pattern username,
            List<ServicePattern> write,
            List<ServicePattern> read,
            boolean readsAll) {
        boolean matches(final ClientIdentity who) {
            return clientId.matcher(who.clientId()).matches()
                    && (username == null
                            || who.username() != null
                                    && username.matcher(who.username()).matches());
        }
    }

    public AccessPolicy(final AccessSettings settings) {
        this.defaultAllow = settings.defaultAllow();
        this.rules = settings.rules().stream()
                .map(r -> new CompiledRule(
                        Glob.compile(r.clientId()),
                        r.username() == null ? null : Glob.compile(r.username()),
                        r.write().stream().map(ServicePattern::of).toList(),
                        r.read().stream().map(ServicePattern::of).toList(),
                        r.read().contains("*")))
                .toList();
    }

    public boolean mayWrite(final ClientIdentity who, final String service) {
        return rule(who).map(r -> anyMatches(r.write(), who, service)).orElse(defaultAllow);
    }

    public boolean mayRead(final ClientIdentity who, final String service) {
        return rule(who).map(r -> anyMatches(r.read(), who, service)).orElse(defaultAllow);
    }

    /** Whether the client may read every service, which a wildcard subscription would give it. */
    public boolean mayReadAll(final ClientIdentity who) {
        return rule(who).map(CompiledRule::readsAll).orElse(defaultAllow);
    }

    private Optional<CompiledRule> rule(final ClientIdentity who) {
        for (final CompiledRule r : rules) {
            if (r.matches(who)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static boolean anyMatches(
            final List<ServicePattern> patterns, final ClientIdentity who, final String service) {
        for (final ServicePattern pattern : patterns) {
            if (pattern.matches(who, service)) {
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
