package dev.configmanager.config;

import dev.configmanager.wire.ClientText;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Looks up {@code a/b} paths of child elements; converters return {@code null} for a value they refuse. Any value may
 * be {@code ${ENV:NAME}}, taken from the broker's environment (unset: as if the element were absent). With a profile
 * ({@code <profile>}), an element the profile sets is taken from it, and the rest from the file itself.
 */
final class XmlValues {

    /** Settings whose values never appear in the log, not even when they are invalid. */
    private static final Set<String> SENSITIVE = Set.of("secrets/key", "database/password", "console/local-token");

    private static final Logger log = LoggerFactory.getLogger(SettingsReader.class);
    private static final java.util.regex.Pattern ENV_REFERENCE =
            java.util.regex.Pattern.compile("\\$\\{ENV:([A-Za-z0-9_]+)}");

    private final Element root;
    private final @Nullable XmlValues profile;

    XmlValues(final Element root) {
        this(root, null);
    }

    XmlValues(final Element root, final @Nullable Element profile) {
        this.root = root;
        this.profile = profile == null ? null : new XmlValues(profile);
    }

    <T> T text(final String path, final T fallback, final Function<String, T> convert) {
        final Optional<String> raw = find(path);
        if (raw.isEmpty()) {
            return fallback;
        }
        final T value = convert.apply(raw.get());
        if (value == null) {
            log.warn(
                    "config-manager: invalid value '{}' for <{}>, using default '{}'",
                    SENSITIVE.contains(path) ? "(hidden)" : ClientText.escape(raw.get(), 80),
                    path,
                    fallback);
            return fallback;
        }
        return value;
    }

    /**
     * A security setting: a value that cannot be read does not fall back to the default but to {@code closed},
     * the value that lets clients do the least, with an error that names the element.
     */
    <T> T security(final String path, final T fallback, final T closed, final Function<String, T> convert) {
        final Optional<String> raw = find(path);
        if (raw.isEmpty()) {
            return fallback;
        }
        final T value = convert.apply(raw.get());
        if (value == null) {
            log.error(
                    "config-manager: invalid value '{}' for the security setting <{}>; failing closed with '{}' "
                            + "until it is fixed",
                    ClientText.escape(raw.get(), 80),
                    path,
                    closed);
            return closed;
        }
        return value;
    }

    int integer(final String path, final int fallback, final int min, final int max) {
        return text(path, fallback, s -> {
            try {
                final long v = Long.parseLong(s);
                return v >= min && v <= max ? (int) v : null;
            } catch (final NumberFormatException e) {
                return null;
            }
        });
    }

    /** The texts of every element at {@code path} (the last level may repeat); blank ones are skipped. */
    List<String> texts(final String path) {
        final List<String> values = new ArrayList<>();
        for (final XmlValues e : elements(path)) {
            if (!e.root.getTextContent().isBlank()) {
                values.add(e.root.getTextContent().trim());
            }
        }
        return values;
    }

    /** Every element at {@code path}; the last level may repeat. A profile that has any replaces the file's. */
    List<XmlValues> elements(final String path) {
        if (profile != null) {
            final List<XmlValues> set = profile.elements(path);
            if (!set.isEmpty()) {
                return set;
            }
        }
        final int cut = path.lastIndexOf('/');
        Element parent = root;
        if (cut >= 0) {
            for (final String name : path.substring(0, cut).split("/")) {
                parent = child(parent, name);
                if (parent == null) {
                    return List.of();
                }
            }
        }
        final String leaf = path.substring(cut + 1);
        final List<XmlValues> found = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(leaf)) {
                found.add(new XmlValues(e));
            }
        }
        return found;
    }

    private Optional<String> find(final String path) {
        if (profile != null) {
            final Optional<String> set = profile.find(path);
            if (set.isPresent()) {
                return set;
            }
        }
        Element current = root;
        for (final String name : path.split("/")) {
            current = child(current, name);
            if (current == null) {
                return Optional.empty();
            }
        }
        // ${ENV:NAME}: the broker's environment decides; unset or empty counts as not set here
        return Optional.ofNullable(fromEnvironment(current.getTextContent()));
    }

    /** The value at {@code path}, or {@code null} when it is absent, blank or names an unset variable. */
    @Nullable
    String optional(final String path) {
        return find(path).orElse(null);
    }

    /** A value, or the environment variable it names as {@code ${ENV:NAME}}; blank (or unset) means absent. */
    private static @Nullable String fromEnvironment(final String value) {
        final var env = ENV_REFERENCE.matcher(value.strip());
        final String resolved = env.matches() ? System.getenv(env.group(1)) : value.strip();
        return resolved == null || resolved.isBlank() ? null : resolved;
    }

    private static Element child(final Element parent, final String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }
}
