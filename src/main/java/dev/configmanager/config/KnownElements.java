package dev.configmanager.config;

import dev.configmanager.wire.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Every element {@code config.xml} may hold. Anything else is reported by name at start (a misspelled
 * {@code <max-dpeth>} would otherwise be silently ignored), with the closest known name as a hint. Inside
 * {@code <access>}, anything that cannot be read exactly as written is an error.
 */
final class KnownElements {

    private static final Logger log = LoggerFactory.getLogger(KnownElements.class);

    static final Set<String> PATHS = Set.of(
            "profile",
            "topics",
            "topics/request-prefix",
            "topics/updated-prefix",
            "topics/result-prefix",
            "limits",
            "limits/max-payload-bytes",
            "limits/max-depth",
            "requests",
            "requests/dedup-window-seconds",
            "requests/dedup-max-entries",
            "requests/timeout-seconds",
            "schemas",
            "schemas/folder",
            "schemas/unknown-service-policy",
            "database",
            "database/path",
            "database/audit-max-rows",
            "database/url",
            "database/username",
            "database/password",
            "database/password-file",
            "database/node-name",
            "database/publisher",
            "health",
            "health/health-prefix",
            "health/keepalive-prefix",
            "health/keepalive-interval",
            "health/max-client-id-length",
            "health/tracked-clients",
            "health/tracked-clients/include",
            "health/tracked-clients/exclude",
            "health/forget-after",
            "health/alias",
            "health/alias/client-id",
            "health/alias/topic",
            "secrets",
            "secrets/key",
            "secrets/key-file",
            "signing",
            "signing/private-key-file",
            "signing/generate",
            "access",
            "access/default",
            "access/rule",
            "access/rule/client-id",
            "access/rule/username",
            "access/rule/write",
            "access/rule/read",
            "console",
            "console/enabled",
            "console/bind",
            "console/port",
            "console/host",
            "console/token",
            "console/local-token",
            "console/token/name",
            "console/token/role",
            "console/token/sha256",
            "drift",
            "drift/client-pattern",
            "drift/service-clients",
            "drift/service-clients/service",
            "drift/service-clients/client-pattern",
            "drift/max-clients-per-service");

    /** Access settings that hold one value: a second one, or an empty one, cannot be read as meant. */
    private static final Set<String> SINGLE_VALUES =
            Set.of("access/default", "access/rule/client-id", "access/rule/username");

    private KnownElements() {}

    /**
     * Logs every unknown element under {@code root}. Returns whether {@code <access>} holds only known elements: an
     * access rule that cannot be read as written must not be skipped (a later, wider rule would then apply).
     */
    static boolean report(final Element root, final Path file) {
        return walk(root, "", file);
    }

    private static boolean walk(final Element parent, final String parentPath, final Path file) {
        boolean accessReadable = true;
        final Set<String> seen = new HashSet<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (!(n instanceof Element e)) {
                continue;
            }
            final String path = parentPath.isEmpty() ? e.getTagName() : parentPath + "/" + e.getTagName();
            if (PATHS.contains(path)) {
                if (isAccess(path)) {
                    final String problem = accessProblem(e, path, !seen.add(path));
                    if (problem != null) {
                        log.error("config-manager: <{}> in {} {}", path, file, problem);
                        accessReadable = false;
                    }
                }
                accessReadable &= walk(e, path, file);
                continue;
            }
            final Optional<String> known = closest(path);
            // a misspelled <acess> is as much an unreadable access setting as an unknown element inside <access>
            final boolean security =
                    isAccess(path) || known.filter(KnownElements::isAccess).isPresent();
            final String hint = known.map(k -> " (did you mean <" + k + ">?)").orElse("");
            if (security) {
                log.error("config-manager: unknown element <{}> in {}{}", ClientText.escape(path, 120), file, hint);
                accessReadable = false;
            } else {
                log.warn(
                        "config-manager: unknown element <{}> in {} is ignored{}",
                        ClientText.escape(path, 120),
                        file,
                        hint);
            }
        }
        return accessReadable;
    }

    /**
     * What makes a known element of {@code <access>} unreadable as written: attributes (ignored, so
     * {@code <rule client-id="admin">} would match every client), a repeated or blank single value (a rule for
     * {@code <client-id></client-id>} would otherwise match every client, and a second {@code <client-id>} would be
     * dropped).
     */
    private static String accessProblem(final Element e, final String path, final boolean repeated) {
        if (e.hasAttributes()) {
            return "has attributes; access settings are elements only";
        }
        if (SINGLE_VALUES.contains(path) && repeated) {
            return "appears more than once";
        }
        if (SINGLE_VALUES.contains(path) && e.getTextContent().isBlank()) {
            return "is empty";
        }
        return null;
    }

    private static boolean isAccess(final String path) {
        return path.equals("access") || path.startsWith("access/");
    }

    /** The known path one or two edits away from {@code path}, if there is one. */
    private static Optional<String> closest(final String path) {
        return PATHS.stream()
                .filter(k -> distance(k, path) <= 2)
                .min(Comparator.comparingInt((String k) -> distance(k, path)).thenComparing(k -> k));
    }

    private static int distance(final String a, final String b) {
        if (Math.abs(a.length() - b.length()) > 2) {
            return 3;
        }
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                final int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            final int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
