package dev.configmanager.security;

import dev.configmanager.config.AccessSettings;
import dev.configmanager.config.AccessSettings.Rule;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("unit")
class AccessPolicyTest {

    private final AccessPolicy policy = new AccessPolicy(new AccessSettings(
            false,
            List.of(
                    new Rule("admin-*", "ops", List.of("*"), List.of("*")),
                    new Rule("svc-*", null, List.of("${client-id}"), List.of("${client-id}", "shared-*")),
                    new Rule("user-?", null, List.of("home-${username}"), List.of()))));

    @Test
    void theFirstMatchingRuleDecides() {
        assertTrue(policy.mayWrite(new ClientIdentity("admin-1", "ops"), "anything"));
        assertTrue(policy.mayReadAll(new ClientIdentity("admin-1", "ops")));
        assertFalse(
                policy.mayWrite(new ClientIdentity("admin-1", null), "anything"),
                "a rule with a username needs that username");
    }

    @Test
    void aClientMayWriteItsOwnServiceOnly() {
        final ClientIdentity who = new ClientIdentity("svc-router", null);
        assertTrue(policy.mayWrite(who, "svc-router"));
        assertFalse(policy.mayWrite(who, "svc-other"));
        assertTrue(policy.mayRead(who, "shared-cache"));
        assertFalse(policy.mayReadAll(who));
    }

    @Test
    void wildcardsInAClientsOwnIdMatchNothing() {
        final ClientIdentity who = new ClientIdentity("svc-*", null);
        assertFalse(policy.mayWrite(who, "svc-router"), "a '*' in its id is not a wildcard");
        assertFalse(policy.mayWrite(who, "svc-x"), "nor is a '?'");
        assertTrue(policy.mayWrite(new ClientIdentity("svc-x", null), "svc-x"));
    }

    @Test
    void aUsernamePlaceholderNeedsAUsername() {
        assertTrue(policy.mayWrite(new ClientIdentity("user-1", "kim"), "home-kim"));
        assertFalse(policy.mayWrite(new ClientIdentity("user-1", null), "home-"));
    }

    @Test
    void noMatchingRuleFallsBackToTheDefault() {
        assertFalse(policy.mayWrite(new ClientIdentity("stranger", null), "svc"));
        assertTrue(new AccessPolicy(AccessSettings.allowAll()).mayWrite(new ClientIdentity("stranger", null), "svc"));
    }
}
