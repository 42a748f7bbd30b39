package dev.configmanager.wire;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * Timestamps on the wire are Unix epoch seconds as a float with millisecond precision, always written positionally
 * ({@code 1729255022.036}, never {@code 1.729255022036E9}) as Python's {@code time.time()} would be.
 */
public final class EpochSeconds {

    private EpochSeconds() {}

    public static BigDecimal of(final Instant instant) {
        return BigDecimal.valueOf(instant.toEpochMilli(), 3);
    }
}
