package dev.configmanager.wire;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The retained body of {@code config/updated/<service>}: exactly the seven keys of SPEC §2.4, not an envelope.
 *
 * @param config    the canonical JSON of the config, embedded as is so the checksum can be checked on the received text
 * @param issuedAt when this message was issued (RFC 3339 UTC on the wire)
 * @param signature base64 Ed25519, or {@code null} while no signing key is configured
 */
public record ConfigUpdated(
        String service,
        String config,
        long version,
        String configEpoch,
        String checksum,
        Instant issuedAt,
        @Nullable String signature) {

    public byte[] toBytes() {
        final ObjectNode node = Json.object();
        node.put("service", service);
        node.putRawValue("config", new RawValue(config));
        node.put("version", version);
        node.put("config_epoch", configEpoch);
        node.put("checksum", checksum);
        node.put("issued_at", DateTimeFormatter.ISO_INSTANT.format(issuedAt.truncatedTo(ChronoUnit.MILLIS)));
        if (signature == null) {
            node.putNull("signature");
        } else {
            node.put("signature", signature);
        }
        return Json.bytes(node);
    }
}
