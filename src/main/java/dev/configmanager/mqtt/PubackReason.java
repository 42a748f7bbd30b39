package dev.configmanager.mqtt;

import com.hivemq.extension.sdk.api.packets.publish.AckReasonCode;
import dev.configmanager.wire.ClientText;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.ErrorCode;

/** The MQTT 5 PUBACK that matches a result (SPEC §2.3); MQTT 3 clients only see a plain PUBACK. */
record PubackReason(AckReasonCode code, String reasonString) {

    static final PubackReason SUCCESS = new PubackReason(AckReasonCode.SUCCESS, null);
    private static final int MAX_REASON_LENGTH = 256;

    static PubackReason of(final ConfigResult result) {
        if (result instanceof ConfigResult.Rejected r) {
            return new PubackReason(code(r.code()), reasonString(r.code().wire() + ": " + r.message()));
        }
        return SUCCESS;
    }

    /** A reason string every client can decode: messages may quote what the client sent. */
    static String reasonString(final String reason) {
        return ClientText.escape(reason, MAX_REASON_LENGTH);
    }

    static AckReasonCode code(final ErrorCode code) {
        return switch (code) {
            case NOT_AUTHORIZED -> AckReasonCode.NOT_AUTHORIZED;
            case INVALID_JSON, INVALID_REQUEST, INVALID_SERVICE_NAME, SCHEMA_VIOLATION, TOO_DEEP ->
                AckReasonCode.PAYLOAD_FORMAT_INVALID;
            case TOO_LARGE -> AckReasonCode.QUOTA_EXCEEDED;
            case VERSION_CONFLICT, NOT_FOUND, UNKNOWN_SERVICE, STORE_UNAVAILABLE, INTERNAL ->
                AckReasonCode.UNSPECIFIED_ERROR;
        };
    }
}
