package dev.configmanager.wire;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/** The keepalive body, not an envelope: {@code {"ok": true, "event": "heartbeat", "timestamp": ...}}. */
public final class Heartbeat {

    private Heartbeat() {}

    /** Built without a JSON tree: this runs for every tracked client every interval. */
    public static byte[] bytes(final BigDecimal timestamp) {
        return ("{\"ok\":true,\"event\":\"heartbeat\",\"timestamp\":" + timestamp.toPlainString() + "}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
