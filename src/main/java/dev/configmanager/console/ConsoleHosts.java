package dev.configmanager.console;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

/**
 * Which names the console answers to. DNS rebinding needs a domain name that the attacker controls and points at
 * this server, so the console serves only IP literals, {@code localhost} and the names configured in
 * {@code <console><host>}; any other Host header is refused. A write's Origin must name one of those, on the
 * console's own port: it is compared with the names the console serves, never with the request's own Host header.
 */
final class ConsoleHosts {

    private final Set<String> names;
    /** The console's port, known once it listens (an ephemeral one when configured as 0). */
    private final IntSupplier port;

    ConsoleHosts(final List<String> configured, final IntSupplier port) {
        this.names = configured.stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        this.port = port;
    }

    /** Whether a request with this Host header is served. */
    boolean serves(final String hostHeader) {
        return hostHeader != null
                && hostName(hostHeader).filter(this::isServedName).isPresent();
    }

    /** Whether an Origin header names this console: an http(s) origin on a served name and the console's port. */
    boolean isOwnOrigin(final String origin) {
        try {
            final URI uri = new URI(origin);
            final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            final int originPort = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
            return (scheme.equals("http") || scheme.equals("https"))
                    && uri.getHost() != null
                    && isServedName(stripBrackets(uri.getHost().toLowerCase(Locale.ROOT)))
                    && originPort == port.getAsInt();
        } catch (final Exception e) {
            return false;
        }
    }

    private boolean isServedName(final String host) {
        return host.equals("localhost") || names.contains(host) || isIpLiteral(host);
    }

    /** The name part of a Host header ({@code name}, {@code name:port}, {@code [v6]:port}), lower case. */
    private static Optional<String> hostName(final String header) {
        final String h = header.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            final int end = h.indexOf(']');
            return end < 0 ? Optional.empty() : Optional.of(h.substring(1, end));
        }
        final int colon = h.indexOf(':');
        return Optional.of(colon < 0 ? h : h.substring(0, colon)).filter(s -> !s.isEmpty());
    }

    private static String stripBrackets(final String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** A dotted IPv4 address or an IPv6 address (hex digits and colons); never resolved. */
    private static boolean isIpLiteral(final String host) {
        if (host.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            for (final String part : host.split("\\.")) {
                if (Integer.parseInt(part) > 255) {
                    return false;
                }
            }
            return true;
        }
        return host.contains(":") && host.matches("[0-9a-f:.]+");
    }
}
