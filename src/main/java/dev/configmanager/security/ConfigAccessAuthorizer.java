package dev.configmanager.security;

import com.hivemq.extension.sdk.api.auth.SubscriptionAuthorizer;
import com.hivemq.extension.sdk.api.auth.parameter.SubscriptionAuthorizerInput;
import com.hivemq.extension.sdk.api.auth.parameter.SubscriptionAuthorizerOutput;
import com.hivemq.extension.sdk.api.packets.auth.DefaultAuthorizationBehaviour;
import com.hivemq.extension.sdk.api.packets.auth.ModifiableDefaultPermissions;
import com.hivemq.extension.sdk.api.packets.subscribe.SubackReasonCode;
import dev.configmanager.config.TopicLayout;
import dev.configmanager.config.TopicLayout.ReadScope;
import dev.configmanager.wire.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may subscribe to which {@code config/updated/<service>} and {@code config/result/<service>}. It only ever
 * refuses: allowed subscriptions, and every subscription outside the config topics, go on to the next security
 * extension or the broker's defaults, so this composes with whatever else guards the broker.
 */
public final class ConfigAccessAuthorizer implements SubscriptionAuthorizer {

    private static final Logger log = LoggerFactory.getLogger(ConfigAccessAuthorizer.class);

    private final TopicLayout topics;
    private final AccessPolicy policy;
    private final OncePerMinute refusals = new OncePerMinute();

    public ConfigAccessAuthorizer(final TopicLayout topics, final AccessPolicy policy) {
        this.topics = topics;
        this.policy = policy;
    }

    /**
     * HiveMQ denies every subscription no authorizer decided as soon as any authorizer is registered, unless the
     * client's default permissions were set. So that registering this authorizer (which only judges config topics)
     * does not lock clients out of everything else, untouched defaults are set to what they already say: allow.
     * Permissions another security extension configured are left as they are.
     */
    public static void keepBrokerDefaults(final ModifiableDefaultPermissions permissions) {
        if (permissions.asList().isEmpty()
                && permissions.getDefaultBehaviour() == DefaultAuthorizationBehaviour.ALLOW) {
            permissions.setDefaultBehaviour(DefaultAuthorizationBehaviour.ALLOW);
        }
    }

    @Override
    public void authorizeSubscribe(final SubscriptionAuthorizerInput input, final SubscriptionAuthorizerOutput output) {
        final String clientId = input.getClientInformation().getClientId();
        final String filter = input.getSubscription().getTopicFilter();
        try {
            final ReadScope scope = topics.readScope(filter);
            final ClientIdentity who = ClientIdentity.of(clientId, input.getConnectionInformation());
            final boolean denied = scope instanceof ReadScope.Service s
                    ? !policy.mayRead(who, s.name())
                    : scope instanceof ReadScope.All && !policy.mayReadAll(who);
            if (denied) {
                if (refusals.first(clientId)) {
                    log.info(
                            "config-manager: client '{}' may not subscribe to '{}' (logged once a minute per client)",
                            ClientText.escape(clientId, 80),
                            ClientText.escape(filter, 120));
                }
                output.failAuthorization(SubackReasonCode.NOT_AUTHORIZED, "not allowed to read these configs");
            } else {
                output.nextExtensionOrDefault();
            }
        } catch (final RuntimeException e) {
            log.error(
                    "config-manager: authorizing '{}' for '{}' failed; refusing",
                    ClientText.escape(clientId, 80),
                    ClientText.escape(filter, 120),
                    e);
            output.failAuthorization(SubackReasonCode.UNSPECIFIED_ERROR, "authorization failed");
        }
    }
}
