package dev.configmanager.config;

import dev.configmanager.wire.ServiceName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Desired versus running ({@code <drift>}): which clients are "of a service" before they ever report, and how many
 * clients' reports a service keeps.
 *
 * @param clientPatterns         client-id patterns for every service, {@code {service}} standing for its name
 *                               ({@code *} any run of characters, {@code ?} one)
 * @param serviceClients         patterns for one service, used instead of {@code clientPatterns} for it
 * @param maxClientsPerService   reports of more clients than this are refused for the service (a bound on the table
 *                               an authorized reader could otherwise grow with throwaway client ids)
 */
public record DriftSettings(
        List<String> clientPatterns, Map<String, List<String>> serviceClients, int maxClientsPerService) {

    private static final Logger log = LoggerFactory.getLogger(DriftSettings.class);

    public static final String SERVICE_PLACEHOLDER = "{service}";
    /** The instances of a service as the console has always counted them: {@code router}, {@code router-1}, {@code router.eu}. */
    public static final List<String> DEFAULT_PATTERNS = List.of("{service}", "{service}-*", "{service}.*");

    public static final int DEFAULT_MAX_CLIENTS_PER_SERVICE = 10_000;
    private static final int MAX_PATTERN_CHARS = 256;

    public DriftSettings {
        clientPatterns = List.copyOf(clientPatterns);
        serviceClients = Map.copyOf(serviceClients);
    }

    public static DriftSettings defaults() {
        return new DriftSettings(DEFAULT_PATTERNS, Map.of(), DEFAULT_MAX_CLIENTS_PER_SERVICE);
    }

    /** Whether a client id belongs to {@code service} by its name (it has not reported, or not yet). */
    public Predicate<String> clientsOf(final String service) {
        final List<Pattern> patterns = new ArrayList<>();
        // a service name has no wildcard character, so it stays literal inside the glob
        for (final String p : serviceClients.getOrDefault(service, clientPatterns)) {
            patterns.add(Glob.compile(p.replace(SERVICE_PLACEHOLDER, service)));
        }
        return id -> {
            for (final Pattern p : patterns) {
                if (p.matcher(id).matches()) {
                    return true;
                }
            }
            return false;
        };
    }

    /**
     * Whether every pattern of {@code service} holds its name, so that a client id without the name in it cannot be
     * of it (a cheap test before the patterns, for fleets of many clients and services).
     */
    public boolean patternsHoldName(final String service) {
        return serviceClients.getOrDefault(service, clientPatterns).stream()
                .allMatch(p -> p.contains(SERVICE_PLACEHOLDER));
    }

    static DriftSettings read(final XmlValues r, final DriftSettings defaults) {
        final List<String> general = patterns(r.texts("drift/client-pattern"), "<drift><client-pattern>");
        final Map<String, List<String>> perService = new LinkedHashMap<>();
        for (final XmlValues entry : r.elements("drift/service-clients")) {
            final List<String> names = entry.texts("service");
            final String service = names.size() == 1 ? names.get(0).strip() : "";
            final List<String> patterns = patterns(entry.texts("client-pattern"), "<service-clients><client-pattern>");
            if (!ServiceName.isValid(service) || patterns.isEmpty() || perService.containsKey(service)) {
                log.warn(
                        "config-manager: ignoring a <drift><service-clients> without one valid <service> (once) and at "
                                + "least one <client-pattern>");
                continue;
            }
            perService.put(service, patterns);
        }
        return new DriftSettings(
                general.isEmpty() ? defaults.clientPatterns() : general,
                perService,
                r.integer("drift/max-clients-per-service", defaults.maxClientsPerService(), 1, 1_000_000));
    }

    private static List<String> patterns(final List<String> texts, final String where) {
        final List<String> kept = new ArrayList<>();
        for (final String t : texts) {
            if (t.length() > MAX_PATTERN_CHARS || t.codePoints().anyMatch(Character::isISOControl)) {
                log.warn(
                        "config-manager: ignoring a {} longer than {} characters or with control characters",
                        where,
                        MAX_PATTERN_CHARS);
            } else {
                kept.add(t);
            }
        }
        return kept;
    }
}
