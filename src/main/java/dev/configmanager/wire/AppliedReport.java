package dev.configmanager.wire;

import org.jspecify.annotations.Nullable;

import java.util.regex.Pattern;

/**
 * What a client says it applied, as published on {@code config/applied/<service>} (SPEC §8): the version, the checksum
 * of the config it runs (as {@code config/updated} gave it), whether applying worked, and why not.
 *
 * @param error at most {@link #MAX_ERROR_CHARS} characters, every one safe to echo ({@link ClientText})
 */
public record AppliedReport(
        long version, String checksum, boolean ok, @Nullable String error) {

    private static final Pattern CHECKSUM = Pattern.compile("[A-Za-z0-9+/=:._-]{1,128}");
    /** The checksum syntax as error messages state it. */
    public static final String CHECKSUM_RULE = "1 to 128 characters from A-Z a-z 0-9 + / = : . _ -";
    /** A longer error is kept clipped: it is for a person to read in the console, not a log. */
    public static final int MAX_ERROR_CHARS = 512;

    public AppliedReport {
        if (version < 0 || !isValidChecksum(checksum)) {
            throw new IllegalArgumentException("not a report a client could make");
        }
        if (error != null && (error.length() > MAX_ERROR_CHARS + 3 || !ClientText.isSafe(error))) {
            throw new IllegalArgumentException("an error text must be checked before it is kept");
        }
    }

    public static boolean isValidChecksum(final String checksum) {
        return checksum != null && CHECKSUM.matcher(checksum).matches();
    }
}
