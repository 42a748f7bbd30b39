package dev.configmanager.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import org.jspecify.annotations.Nullable;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The retained body of {@code config/updated/<service>}: exactly the seven keys of SPEC §2.4, not an envelope.
 *
 * @param config    the canonical JSON of the config, embedded as is so the checksum can be checked on the received text
 * @param issuedAt  when this message was issued (the wire carries it to the microsecond)
 * @param signature base64 Ed25519 over {@link #signedText()}, or {@code null} while signing is off
 */
public record ConfigUpdated(
        String service,
        String config,
        long version,
        String configEpoch,
        String checksum,
        Instant issuedAt,
        @Nullable String signature) {

    private static final DateTimeFormatter WHOLE_SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'+00:00'");
    private static final DateTimeFormatter WITH_MICROS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'+00:00'");

    /**
     * {@code issued_at} as the wire carries it: RFC 3339 in UTC exactly as Python's {@code datetime.isoformat()} prints
     * it ({@code 2026-11-29T09:50:47.818000+00:00}, no fraction when it is zero). A py-tars service parses the value
     * and prints it again into the message it verifies, so this form is the one that makes both texts equal.
     */
    public static String issuedAtText(final Instant at) {
        final var utc = at.truncatedTo(ChronoUnit.MICROS).atOffset(ZoneOffset.UTC);
        return (utc.getNano() == 0 ? WHOLE_SECONDS : WITH_MICROS).format(utc);
    }

    /**
     * What the signature covers, as the py-tars verifier rebuilds it:
     * {@code version|service|canonical config|checksum|config_epoch|issued_at}, UTF-8.
     */
    public byte[] signedText() {
        return String.join("|", Long.toString(version), service, config, checksum, configEpoch, issuedAtText(issuedAt))
                .getBytes(StandardCharsets.UTF_8);
    }

    public ConfigUpdated signedWith(final String signature) {
        return new ConfigUpdated(service, config, version, configEpoch, checksum, issuedAt, signature);
    }

    public byte[] toBytes() {
        final ObjectNode node = Json.object();
        node.put("service", service);
        node.putRawValue("config", new RawValue(config));
        node.put("version", version);
        node.put("config_epoch", configEpoch);
        node.put("checksum", checksum);
        node.put("issued_at", issuedAtText(issuedAt));
        if (signature == null) {
            node.putNull("signature");
        } else {
            node.put("signature", signature);
        }
        return Json.bytes(node);
    }
}
