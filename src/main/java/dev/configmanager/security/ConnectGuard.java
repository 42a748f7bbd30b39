package dev.configmanager.security;

import com.hivemq.extension.sdk.api.interceptor.connect.ConnectInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundInput;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.ModifiableConnectPacket;
import dev.configmanager.config.OwnedTopics;
import dev.configmanager.wire.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks at every CONNECT: keeps the username for the access rules and whether the client may resume a session (for
 * the {@link ConfigReadGuard}), and removes a Last Will aimed at any topic the extension owns. The broker publishes
 * wills itself, past the publish interceptors, so without this a client could leave a forged retained config or
 * health behind by simply dropping its connection. That includes a will on the
 * client's own health topic: the extension publishes every tracked client's end itself, and a will (possibly delayed
 * past that end, possibly saying {@code ok: true}) would overwrite the truth.
 */
public final class ConnectGuard implements ConnectInboundInterceptor {

    private static final Logger log = LoggerFactory.getLogger(ConnectGuard.class);

    private final OwnedTopics owned;

    public ConnectGuard(final OwnedTopics owned) {
        this.owned = owned;
    }

    @Override
    public void onConnect(final ConnectInboundInput input, final ConnectInboundOutput output) {
        final String clientId = input.getClientInformation().getClientId();
        final ModifiableConnectPacket connect = output.getConnectPacket();
        try {
            // the will first: nothing that could fail before it may leave it in place
            connect.getWillPublish().ifPresent(will -> {
                if (owned.isOwned(will.getTopic())) {
                    log.warn(
                            "config-manager: removed the Last Will of client '{}' on '{}': config-manager owns that "
                                    + "topic",
                            ClientText.escape(clientId, 80),
                            ClientText.escape(will.getTopic(), 120));
                    connect.setWillPublish(null);
                }
            });
            final var attributes = input.getConnectionInformation().getConnectionAttributeStore();
            input.getConnectPacket()
                    .getUserName()
                    .ifPresent(name -> attributes.putAsString(ClientIdentity.USERNAME_ATTRIBUTE, name));
            if (!input.getConnectPacket().getCleanStart()) {
                attributes.putAsString(ConfigReadGuard.RESUMES_SESSION_ATTRIBUTE, "true");
            }
        } catch (final RuntimeException e) {
            log.error(
                    "config-manager: checking the CONNECT of '{}' failed; its Last Will is removed",
                    ClientText.escape(clientId, 80),
                    e);
            try {
                connect.setWillPublish(null);
            } catch (final RuntimeException ignored) {
                // nothing more can be done; the error is logged
            }
        }
    }
}
