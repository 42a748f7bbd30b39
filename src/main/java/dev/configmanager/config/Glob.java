package dev.configmanager.config;

import java.util.regex.Pattern;

/** Operator patterns on client ids, usernames and service names: {@code *} any run of characters, {@code ?} one. */
public final class Glob {

    private Glob() {}

    /** Everything but the two wildcards is literal: a pattern never becomes a regular expression by accident. */
    public static Pattern compile(final String glob) {
        final var regex = new StringBuilder();
        final var literal = new StringBuilder();
        for (final char c : glob.toCharArray()) {
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(regex.toString(), Pattern.DOTALL);
    }
}
