package dev.configmanager.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.concurrent.ChangeNotices;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.wire.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /api/events}: what changed, pushed to the console page as Server-Sent Events, so the page reads a list
 * again only when something in it changed. Only the kind travels ({@code services}, {@code clients}); the page asks
 * for the list itself, with its own token. Changes are gathered for a moment and sent together, a comment every few
 * seconds keeps the connection open, and a stream ends after a while so the page opens a fresh one (each stream holds
 * one of the console's threads; their number is bounded).
 */
final class LiveEvents {

    /** Streams open at once; more are answered 503 and the page falls back to reading every few seconds. */
    static final int MAX_STREAMS = 16;

    private static final long HEARTBEAT_MS = 5_000;
    private static final long GATHER_MS = 150;
    /** At most one event a second, however fast changes come (a flood of requests must not become one of reads). */
    private static final long MIN_GAP_MS = 1_000;

    private static final long LIFETIME_MS = 10 * 60_000;

    private final ConsoleAuth auth;
    private final ChangeNotices notices;
    private final AtomicInteger open = new AtomicInteger();

    LiveEvents(final ConsoleAuth auth, final ChangeNotices notices) {
        this.auth = auth;
        this.notices = notices;
    }

    void stream(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.READ);
        if (open.incrementAndGet() > MAX_STREAMS) {
            open.decrementAndGet();
            throw new ApiExchange.Failure(503, "too_many_streams", "too many live views are open; reading instead");
        }
        final Set<ChangeNotices.Kind> pending = EnumSet.noneOf(ChangeNotices.Kind.class);
        final Semaphore wake = new Semaphore(0);
        try (AutoCloseable listening = notices.listen((kind, subject) -> {
            synchronized (pending) {
                pending.add(kind);
            }
            wake.release();
        })) {
            final OutputStream out = call.streamOk("text/event-stream; charset=utf-8", null);
            write(out, "retry: 2000\n\n");
            final long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LIFETIME_MS);
            long lastSent = 0;
            while (System.nanoTime() < end) {
                if (!wake.tryAcquire(HEARTBEAT_MS, TimeUnit.MILLISECONDS)) {
                    write(out, ": still here\n\n");
                    continue;
                }
                // a burst of changes goes out as one event, and events at most once a second
                Thread.sleep(
                        Math.max(GATHER_MS, MIN_GAP_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastSent)));
                wake.drainPermits();
                final ObjectNode data = Json.object();
                final ArrayNode kinds = data.putArray("changed");
                synchronized (pending) {
                    pending.forEach(k -> kinds.add(k == ChangeNotices.Kind.SERVICE ? "services" : "clients"));
                    pending.clear();
                }
                write(out, "event: change\ndata: " + Json.text(data) + "\n\n");
                lastSent = System.nanoTime();
            }
            out.close();
        } catch (final IOException e) {
            // the page went away
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt(); // the console stops
        } finally {
            open.decrementAndGet();
        }
    }

    private static void write(final OutputStream out, final String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
