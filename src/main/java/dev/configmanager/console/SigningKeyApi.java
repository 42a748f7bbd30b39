package dev.configmanager.console;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.security.SigningKey;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import org.jspecify.annotations.Nullable;

/**
 * {@code GET /api/signing-key}: the public key {@code config/updated} is signed with, as PEM (SubjectPublicKeyInfo),
 * for a service to pin. Not a secret, but served like every other read: to whoever may read the console.
 */
final class SigningKeyApi {

    private final ConsoleAuth auth;
    private final @Nullable SigningKey key;

    SigningKeyApi(final ConsoleAuth auth, final @Nullable SigningKey key) {
        this.auth = auth;
        this.key = key;
    }

    void get(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        if (key == null) {
            throw new ApiExchange.Failure(
                    404,
                    ErrorCode.NOT_FOUND.wire(),
                    "config/updated is not signed: <signing> is off or its key unusable");
        }
        final ObjectNode body = Json.object();
        body.put("algorithm", "Ed25519");
        body.put("public_key_pem", key.publicKeyPem());
        call.respond(200, body);
    }
}
