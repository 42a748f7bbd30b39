package dev.configmanager;

import com.hivemq.extension.sdk.api.services.Services;
import dev.configmanager.config.AccessSettings;
import dev.configmanager.config.ExtensionSettings;
import dev.configmanager.config.OwnedTopics;
import dev.configmanager.health.ClientHealthTracker;
import dev.configmanager.mqtt.InboundPublishRouter;
import dev.configmanager.security.AccessPolicy;
import dev.configmanager.security.ConfigAccessAuthorizer;
import dev.configmanager.security.ConfigReadGuard;
import dev.configmanager.security.ConnectGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every registration with the broker in one place: what runs when a client connects (the connect guard, then the
 * client's interceptors), the authorizer when access rules are in force, and the lifecycle listener behind health.
 * HiveMQ removes them all when the extension stops.
 */
final class BrokerHooks {

    private static final Logger log = LoggerFactory.getLogger(BrokerHooks.class);

    private BrokerHooks() {}

    static void register(
            final ExtensionSettings settings,
            final OwnedTopics owned,
            final AccessPolicy access,
            final InboundPublishRouter publishes,
            final ClientHealthTracker tracker) {
        final var connectGuard = new ConnectGuard(owned);
        Services.interceptorRegistry().setConnectInboundInterceptorProvider(input -> connectGuard);
        final boolean rulesInForce = !settings.access().equals(AccessSettings.allowAll());
        final ConfigReadGuard readGuard = rulesInForce ? new ConfigReadGuard(settings.topics(), access) : null;
        if (rulesInForce) {
            final var authorizer = new ConfigAccessAuthorizer(settings.topics(), access);
            Services.securityRegistry().setAuthorizerProvider(input -> authorizer);
        }
        Services.initializerRegistry().setClientInitializer((input, client) -> {
            try {
                client.addPublishInboundInterceptor(publishes);
                if (readGuard != null) {
                    ConfigAccessAuthorizer.keepBrokerDefaults(client.getDefaultPermissions());
                    if (readGuard.isNeededFor(
                            input.getClientInformation().getClientId(), input.getConnectionInformation())) {
                        client.addPublishOutboundInterceptor(readGuard);
                    }
                }
            } catch (final RuntimeException e) {
                log.error("config-manager: setting up a client failed; it is disconnected", e);
                Services.clientService()
                        .disconnectClient(input.getClientInformation().getClientId());
            }
        });
        Services.eventRegistry().setClientLifecycleEventListener(input -> tracker.newConnection());
    }
}
