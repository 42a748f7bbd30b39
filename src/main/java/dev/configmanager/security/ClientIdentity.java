package dev.configmanager.security;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import org.jspecify.annotations.Nullable;

/**
 * Who a client is, as far as access rules go. The username is taken from CONNECT by {@link ConnectGuard} and kept in
 * the connection's attribute store, because later callbacks (publishes, subscriptions) no longer see it.
 *
 * @param username {@code null} when the client sent none
 */
public record ClientIdentity(String clientId, @Nullable String username) {

    static final String USERNAME_ATTRIBUTE = "config-manager.username";

    public static ClientIdentity of(final String clientId, final ConnectionInformation connection) {
        return new ClientIdentity(
                clientId,
                connection
                        .getConnectionAttributeStore()
                        .getAsString(USERNAME_ATTRIBUTE)
                        .orElse(null));
    }
}
