package dev.configmanager.wire;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The one canonical JSON form that checksums and signatures are computed over.
 * <p>
 * Keys sorted by Unicode code point at every level, no whitespace, UTF-8 with only the escapes JSON requires: byte for
 * byte what the py-tars services compute to verify an update, {@code orjson.dumps(config, option=OPT_SORT_KEYS)}
 * (checked against vectors made by running orjson). Floating point numbers use the shortest round-trip digits
 * (Schubfach, identical on every JVM) in orjson's layout, which differs from Python's {@code json.dumps} only below
 * 1e-4 ({@code 0.00001} and {@code 1e-7} there, {@code 1e-05} and {@code 1e-07} in Python). Integers are written
 * exactly as given; orjson itself refuses integers beyond 64 bits.
 * <p>
 * {@link #FORM} names this form; a database written in an earlier one is brought to it when it opens.
 */
public final class CanonicalJson {

    /** The canonical form's generation: 1 was Python's {@code json.dumps} layout, 2 is orjson's. */
    public static final int FORM = 2;

    private static final Comparator<String> CODE_POINT_ORDER = CanonicalJson::compareCodePoints;

    private CanonicalJson() {}

    public static String write(final JsonNode node) {
        final var out = new StringBuilder(256);
        append(out, node);
        return out.toString();
    }

    public static String sha256Hex(final String canonical) {
        try {
            final var digest = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(digest.digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static void append(final StringBuilder out, final JsonNode node) {
        switch (node.getNodeType()) {
            case OBJECT -> {
                final List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(node.size());
                node.fields().forEachRemaining(fields::add);
                fields.sort(Map.Entry.comparingByKey(CODE_POINT_ORDER));
                out.append('{');
                for (int i = 0; i < fields.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    appendString(out, fields.get(i).getKey());
                    out.append(':');
                    append(out, fields.get(i).getValue());
                }
                out.append('}');
            }
            case ARRAY -> {
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    append(out, node.get(i));
                }
                out.append(']');
            }
            case STRING -> appendString(out, node.textValue());
            case BOOLEAN -> out.append(node.booleanValue());
            case NULL -> out.append("null");
            case NUMBER -> appendNumber(out, node);
            default -> throw new IllegalArgumentException("not a JSON value: " + node.getNodeType());
        }
    }

    private static void appendNumber(final StringBuilder out, final JsonNode node) {
        if (node.isIntegralNumber()) {
            out.append(node.bigIntegerValue());
            return;
        }
        final double value = node.doubleValue();
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("number is not finite");
        }
        out.append(floatText(value));
    }

    /**
     * A float as orjson writes it: shortest round-trip digits; positional notation when the decimal exponent is in
     * [-5, 16) (always with a fraction, {@code 100.0}), otherwise {@code d.ddde±X} with a sign and no padding.
     */
    static String floatText(final double value) {
        if (value == 0) {
            return (1 / value < 0) ? "-0.0" : "0.0";
        }
        var shortest = new BigDecimal(DoubleToDecimal.toString(value)).stripTrailingZeros();
        if (shortest.precision() == 2) {
            // Schubfach never renders fewer than two digits; Python's repr does when one digit round-trips
            // (only subnormals such as 5e-324 differ).
            final var one = shortest.round(new MathContext(1, RoundingMode.HALF_EVEN));
            if (one.doubleValue() == value) {
                shortest = one;
            }
        }
        final String digits = shortest.unscaledValue().abs().toString().replaceFirst("0+$", "");
        final int exponent = shortest.precision() - shortest.scale() - 1; // position of the first digit
        final var sb = new StringBuilder(24);
        if (value < 0) {
            sb.append('-');
        }
        if (exponent >= -5 && exponent < 16) {
            if (exponent < 0) {
                sb.append("0.").append("0".repeat(-exponent - 1)).append(digits);
            } else if (digits.length() <= exponent + 1) {
                sb.append(digits)
                        .append("0".repeat(exponent + 1 - digits.length()))
                        .append(".0");
            } else {
                sb.append(digits, 0, exponent + 1).append('.').append(digits, exponent + 1, digits.length());
            }
        } else {
            sb.append(digits.charAt(0));
            if (digits.length() > 1) {
                sb.append('.').append(digits, 1, digits.length());
            }
            sb.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent));
        }
        return sb.toString();
    }

    /** Copies the runs between characters that need escaping in one go: most strings have none at all. */
    private static void appendString(final StringBuilder out, final String s) {
        out.append('"');
        int run = 0;
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20) {
                out.append(s, run, i);
                appendEscaped(out, c);
                run = i + 1;
            }
        }
        out.append(s, run, s.length());
        out.append('"');
    }

    private static void appendEscaped(final StringBuilder out, final char c) {
        switch (c) {
            case '"' -> out.append("\\\"");
            case '\\' -> out.append("\\\\");
            case '\n' -> out.append("\\n");
            case '\r' -> out.append("\\r");
            case '\t' -> out.append("\\t");
            case '\b' -> out.append("\\b");
            case '\f' -> out.append("\\f");
            default -> out.append(String.format("\\u%04x", (int) c));
        }
    }

    private static int compareCodePoints(final String a, final String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            final int ca = a.codePointAt(i);
            final int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
