package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;

import java.time.Instant;

/** Versions of one service for store tests: version {@code n} holds {@code {"n": n}}. */
final class TestVersions {

    private TestVersions() {}

    static ConfigVersion version(final long n) {
        return new ConfigVersion(
                "svc",
                n,
                ConfigVersion.Change.SET,
                "{\"n\":" + n + "}",
                "c" + n,
                Instant.now(),
                "test",
                "r-" + n,
                RequestOrigin.MQTT);
    }
}
