package dev.configmanager.wire;

import java.util.regex.Pattern;

/**
 * One request-id syntax for MQTT and HTTP. Ids are echoed in result envelopes, user properties, history and logs, so
 * they are held to characters every MQTT client, log and column takes as they are (UUIDs, ULIDs, base64,
 * {@code host:pid/n} all fit).
 */
public final class RequestId {

    private static final Pattern SYNTAX = Pattern.compile("[A-Za-z0-9._:@/+=-]{1,128}");
    /** The syntax as error messages state it. */
    public static final String RULE = "1 to 128 characters from A-Z a-z 0-9 . _ : @ / + = -";

    private RequestId() {}

    public static boolean isValid(final String id) {
        return id != null && SYNTAX.matcher(id).matches();
    }
}
