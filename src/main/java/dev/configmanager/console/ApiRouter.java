package dev.configmanager.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.configmanager.store.StoreUnavailableException;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.ServiceName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * {@code /api/...}: sends each call to the resource that serves it, and is the one place that turns a failure into
 * an answer: a JSON error with a proper status, never a stack trace, never a dropped connection.
 */
final class ApiRouter implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiRouter.class);
    /** The most of an unread request body drained before an error answer; a larger one closes the connection. */
    private static final int DISCARD_LIMIT = 64 * 1024;

    private static final Set<String> FLEET_VIEWS = Set.of("services", "audit", "clients", "status");

    private final ConfigApi configs;
    private final FleetApi fleet;
    private final SchemaApi schemas;
    private final SigningKeyApi signingKey;
    private final BackupApi backups;
    private final LiveEvents events;
    private final DriftApi drift;

    ApiRouter(
            final ConfigApi configs,
            final FleetApi fleet,
            final SchemaApi schemas,
            final SigningKeyApi signingKey,
            final BackupApi backups,
            final LiveEvents events,
            final DriftApi drift) {
        this.events = events;
        this.drift = drift;
        this.configs = configs;
        this.fleet = fleet;
        this.schemas = schemas;
        this.signingKey = signingKey;
        this.backups = backups;
    }

    @Override
    public void handle(final HttpExchange exchange) {
        final ApiExchange call = new ApiExchange(exchange);
        try {
            route(call);
        } catch (final ApiExchange.Failure f) {
            respond(call, f);
        } catch (final StoreUnavailableException e) {
            respond(call, new ApiExchange.Failure(503, ErrorCode.STORE_UNAVAILABLE.wire(), e.getMessage()));
        } catch (final TimeoutException e) {
            respond(call, new ApiExchange.Failure(503, ErrorCode.STORE_UNAVAILABLE.wire(), "the request timed out"));
        } catch (final Exception e) {
            log.error(
                    "config-manager: console call {} {} failed",
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getPath(),
                    e instanceof ExecutionException ? e.getCause() : e);
            respond(
                    call,
                    new ApiExchange.Failure(500, ErrorCode.INTERNAL.wire(), "internal error; see the broker log"));
        } finally {
            exchange.close();
        }
    }

    private void route(final ApiExchange call) throws Exception {
        final String[] route = call.route();
        final String head = route.length > 0 ? route[0] : "";
        final String method = call.method();
        if (head.equals("services") && route.length == 3 && route[2].equals("drift") && method.equals("GET")) {
            drift.service(call, serviceName(route[1]));
        } else if (head.equals("services") && route.length >= 2 && route.length <= 3) {
            configs.handle(call, serviceName(route[1]), route.length == 3 ? route[2] : "");
        } else if (head.equals("schemas") && route.length == 2) {
            switch (method) {
                case "GET" -> schemas.get(call, serviceName(route[1]));
                case "PUT" -> schemas.put(call, serviceName(route[1]));
                default -> throw notAllowed();
            }
        } else if (head.equals("clients") && route.length == 2) {
            if (!method.equals("DELETE")) {
                throw notAllowed();
            }
            fleet.forget(call, route[1]);
        } else if (route.length == 1 && head.equals("signing-key")) {
            if (!method.equals("GET")) {
                throw notAllowed();
            }
            signingKey.get(call);
        } else if (route.length == 1 && head.equals("events")) {
            only(method, "GET");
            events.stream(call);
        } else if (route.length == 1 && head.equals("export")) {
            only(method, "GET");
            backups.export(call);
        } else if (route.length == 1 && head.equals("import")) {
            only(method, "POST");
            backups.importStore(call);
        } else if (route.length == 1 && head.equals("backup")) {
            only(method, "POST");
            backups.backup(call);
        } else if (route.length == 1 && FLEET_VIEWS.contains(head)) {
            if (!method.equals("GET")) {
                throw notAllowed();
            }
            switch (head) {
                case "services" -> fleet.services(call);
                case "audit" -> fleet.audit(call);
                case "clients" -> fleet.clients(call);
                default -> fleet.status(call);
            }
        } else {
            throw new ApiExchange.Failure(404, ErrorCode.NOT_FOUND.wire(), "no such endpoint");
        }
    }

    /** Every path that names a service is checked here, once, before any resource sees it. */
    private static String serviceName(final String segment) throws ApiExchange.Failure {
        if (!ServiceName.isValid(segment)) {
            throw new ApiExchange.Failure(
                    400, ErrorCode.INVALID_SERVICE_NAME.wire(), "service names " + ServiceName.RULE);
        }
        return segment;
    }

    private static void only(final String method, final String allowed) throws ApiExchange.Failure {
        if (!method.equals(allowed)) {
            throw notAllowed();
        }
    }

    private static ApiExchange.Failure notAllowed() {
        return new ApiExchange.Failure(405, ErrorCode.INVALID_REQUEST.wire(), "method not allowed here");
    }

    private static void respond(final ApiExchange call, final ApiExchange.Failure f) {
        call.discardBody(DISCARD_LIMIT);
        try {
            if (f.body != null) {
                call.respond(f.status, f.body);
            } else {
                call.respondError(f.status, f.code, f.getMessage(), null);
            }
        } catch (final Exception e) {
            log.debug("config-manager: console answer could not be sent: {}", e.toString());
        }
    }
}
