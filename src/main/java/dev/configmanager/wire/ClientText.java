package dev.configmanager.wire;

/**
 * Text a client sent (a client id, a topic level, a parser's quote of a payload), checked before it is copied into a
 * topic, an MQTT user property or reason string, a column or a log line.
 * <p>
 * HiveMQ refuses to publish a user property or topic with a control character or a non-character (the version was
 * stored but never published), and accepts U+FEFF, which kills the network thread of paho's MQTT 5 subscribers. So the
 * characters refused here are the union of what MQTT calls "should not" (C0 and C1 controls, DEL, non-characters), what
 * cannot be encoded at all (unpaired surrogates) and what common clients or log viewers trip over (U+FEFF, the line and
 * paragraph separators).
 */
public final class ClientText {

    private ClientText() {}

    /** Whether every character of {@code s} may go into an MQTT string as it is. */
    public static boolean isSafe(final String s) {
        for (int i = 0; i < s.length(); ) {
            final int cp = s.codePointAt(i);
            if (isRefused(cp)) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    /**
     * {@code s} with every refused character, and the backslash itself (so an escape in the output is never the
     * client's own text), written as {@code \\uXXXX}, then clipped to at most {@code maxChars} (with "..." after
     * them when cut, never inside an escape or a character): safe to echo anywhere, and still says what the client
     * sent.
     */
    public static String escape(final String s, final int maxChars) {
        if (s == null) {
            return "";
        }
        final var sb = new StringBuilder(Math.min(s.length(), maxChars) + 8);
        for (int i = 0; i < s.length(); ) {
            final int cp = s.codePointAt(i);
            final boolean escaped = isRefused(cp) || cp == '\\';
            if (sb.length() + (escaped ? 6 : Character.charCount(cp)) > maxChars) {
                return sb.append("...").toString();
            }
            if (escaped) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
            i += Character.charCount(cp);
        }
        return sb.toString();
    }

    private static boolean isRefused(final int cp) {
        return cp <= 0x1F
                || (cp >= 0x7F && cp <= 0x9F)
                || (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) // only unpaired ones reach here
                || (cp >= 0xFDD0 && cp <= 0xFDEF)
                || (cp & 0xFFFE) == 0xFFFE
                || cp == 0xFEFF
                || cp == 0x2028
                || cp == 0x2029;
    }
}
