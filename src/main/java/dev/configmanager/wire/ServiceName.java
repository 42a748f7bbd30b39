package dev.configmanager.wire;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A service's name: a topic level, a table key, a schema file name and a console URL segment at once, so it is held
 * to one syntax everywhere (MQTT, HTTP and the schema folder check it here).
 */
public record ServiceName(String value) {

    private static final Pattern SYNTAX = Pattern.compile("^[a-z][a-z0-9-]{0,63}$");
    /** The syntax as error messages state it. */
    public static final String RULE = "must match " + SYNTAX.pattern();

    public ServiceName {
        if (!isValid(value)) {
            throw new IllegalArgumentException("not a service name");
        }
    }

    public static boolean isValid(final String value) {
        return value != null && SYNTAX.matcher(value).matches();
    }

    public static Optional<ServiceName> of(final String value) {
        return isValid(value) ? Optional.of(new ServiceName(value)) : Optional.empty();
    }

    @Override
    public String toString() {
        return value;
    }
}
