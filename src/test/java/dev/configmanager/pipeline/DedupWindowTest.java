package dev.configmanager.pipeline;

import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ConfigResult.Accepted;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("unit")
class DedupWindowTest {

    private final DedupWindow window = new DedupWindow(Duration.ofMinutes(5), 1_000);

    @Test
    void aRepeatGetsTheFirstAnswerEvenBeforeItIsKnown() {
        final CompletableFuture<ConfigResult> first = new CompletableFuture<>();
        assertTrue(window.claim("svc", "req-1", first).isEmpty(), "the first is applied");
        assertSame(
                first,
                window.claim("svc", "req-1", new CompletableFuture<>()).orElseThrow(),
                "the repeat waits for the first one's answer");
        first.complete(new Accepted("svc", 1, "c", false));
        assertSame(
                first, window.claim("svc", "req-1", new CompletableFuture<>()).orElseThrow());
    }

    @Test
    void theSameIdForAnotherServiceIsAnotherRequest() {
        window.claim("svc-a", "req-1", new CompletableFuture<>());
        assertTrue(window.claim("svc-b", "req-1", new CompletableFuture<>()).isEmpty());
    }

    @Test
    void aTransientFailureIsForgottenSoTheRetryIsApplied() {
        final CompletableFuture<ConfigResult> first = new CompletableFuture<>();
        window.claim("svc", "req-1", first);
        first.complete(Rejected.of("svc", ErrorCode.STORE_UNAVAILABLE, "down"));
        assertTrue(window.claim("svc", "req-1", new CompletableFuture<>()).isEmpty());
    }

    @Test
    void aFinalRejectionIsRemembered() {
        final CompletableFuture<ConfigResult> first = new CompletableFuture<>();
        window.claim("svc", "req-1", first);
        first.complete(Rejected.of("svc", ErrorCode.VERSION_CONFLICT, "stale"));
        assertSame(
                first, window.claim("svc", "req-1", new CompletableFuture<>()).orElseThrow());
    }

    @Test
    void serviceAndIdAreKeptApart() {
        window.claim("ab", "c", new CompletableFuture<>());
        assertTrue(window.claim("a", "bc", new CompletableFuture<>()).isEmpty());
    }
}
