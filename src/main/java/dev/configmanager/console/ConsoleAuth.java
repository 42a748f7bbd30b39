package dev.configmanager.console;

import dev.configmanager.config.ConsoleSettings;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.wire.CanonicalJson;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ErrorCode;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Who is calling, and may they. Tokens are compared by their SHA-256 in constant time. Writes also pass a CSRF check:
 * a browser request from another origin is refused, and bodies must be JSON (which a cross-site form cannot send
 * without a CORS preflight this server never grants). The token travels in the Authorization header, which a browser
 * never adds on its own, so no ambient credential exists for a forged request to ride on.
 */
final class ConsoleAuth {

    /** The caller: a token's name and role. */
    record Caller(String name, Role role) {}

    private final List<ConsoleSettings.Token> tokens;
    private final ConsoleHosts hosts;

    ConsoleAuth(final List<ConsoleSettings.Token> tokens, final ConsoleHosts hosts) {
        this.tokens = tokens;
        this.hosts = hosts;
    }

    boolean hasTokens() {
        return !tokens.isEmpty();
    }

    Caller authorize(final ApiExchange call, final Role needed) throws ApiExchange.Failure {
        final boolean write = !call.method().equals("GET") && !call.method().equals("HEAD");
        if (write) {
            checkOrigin(call);
        }
        if (tokens.isEmpty()) {
            if (needed == Role.READ) {
                return new Caller("anonymous", Role.READ);
            }
            throw new ApiExchange.Failure(
                    403,
                    ErrorCode.NOT_AUTHORIZED.wire(),
                    "no console tokens are configured, so the console is read-only: add "
                            + "<console><token><name>…</name><role>write</role><sha256>…</sha256></token></console> "
                            + "to conf/config.xml (sha256 of the token: printf %s TOKEN | sha256sum) and restart "
                            + "the broker");
        }
        final Optional<String> presented = call.header("Authorization")
                .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                .map(h -> h.substring(7).trim());
        if (presented.isEmpty()) {
            throw new ApiExchange.Failure(401, "unauthenticated", "send Authorization: Bearer <token>");
        }
        final byte[] hash = CanonicalJson.sha256Hex(presented.get()).getBytes(StandardCharsets.US_ASCII);
        ConsoleSettings.Token match = null;
        for (final ConsoleSettings.Token token : tokens) {
            if (MessageDigest.isEqual(hash, token.sha256().getBytes(StandardCharsets.US_ASCII))) {
                match = token;
            }
        }
        if (match == null) {
            throw new ApiExchange.Failure(401, "unauthenticated", "unknown token");
        }
        if (!match.role().includes(needed)) {
            throw new ApiExchange.Failure(
                    403,
                    ErrorCode.NOT_AUTHORIZED.wire(),
                    "token '" + match.name() + "' has role "
                            + match.role().name().toLowerCase(Locale.ROOT) + "; this needs "
                            + needed.name().toLowerCase(Locale.ROOT));
        }
        return new Caller(match.name(), match.role());
    }

    /** A browser's write must come from a page of this console: an Origin naming a served name and this port. */
    private void checkOrigin(final ApiExchange call) throws ApiExchange.Failure {
        final Optional<String> origin = call.header("Origin");
        if (origin.isPresent() && !hosts.isOwnOrigin(origin.get())) {
            throw new ApiExchange.Failure(
                    403, "csrf", "cross-origin write refused (Origin " + ClientText.escape(origin.get(), 120) + ")");
        }
    }
}
