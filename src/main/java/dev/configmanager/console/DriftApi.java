package dev.configmanager.console;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.drift.FleetDrift;
import dev.configmanager.drift.FleetDrift.ClientDrift;
import dev.configmanager.drift.FleetDrift.ServiceDrift;
import dev.configmanager.drift.FleetDrift.State;
import dev.configmanager.wire.AppliedReport;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;

import java.util.Map;

/** {@code GET /api/services/<service>/drift}: which client runs which version of the service. */
final class DriftApi {

    private final FleetDrift drift;
    private final ConsoleAuth auth;

    DriftApi(final FleetDrift drift, final ConsoleAuth auth) {
        this.drift = drift;
        this.auth = auth;
    }

    void service(final ApiExchange call, final String service) throws Exception {
        auth.authorize(call, Role.READ);
        final ServiceDrift d = drift.all().services().get(service);
        if (d == null) {
            throw new ApiExchange.Failure(404, ErrorCode.NOT_FOUND.wire(), "'" + service + "' has no config");
        }
        final ObjectNode body = Json.object();
        body.put("service", service);
        body.put("desired_version", d.desired().version());
        body.put("desired_checksum", d.desired().checksum());
        body.set("counts", counts(d));
        final var rows = body.putArray("clients");
        for (final ClientDrift c : d.clients()) {
            final ObjectNode row = rows.addObject();
            row.put("client_id", c.clientId());
            row.put("state", c.state().wire());
            row.put("online", c.online());
            if (c.health() != null && c.health().node() != null) {
                row.put("node", c.health().node());
            }
            final AppliedReport r = c.report();
            if (r != null) {
                row.put("version", r.version());
                row.put("checksum", r.checksum());
                row.put("ok", r.ok());
                row.put("error", r.error());
                row.put("reported_at", c.reportedAt());
            }
            row.put("why", c.why());
        }
        call.respond(200, body);
    }

    /**
     * {@code {"in_sync", "behind", "failed", "unknown", "total", "offline"}}: what the service list and overview show.
     * The states count the clients that are not known to be gone; {@code offline} the reporters that are.
     */
    static ObjectNode counts(final ServiceDrift d) {
        final ObjectNode counts = Json.object();
        int total = 0;
        for (final Map.Entry<State, Integer> e : d.counts().entrySet()) {
            counts.put(e.getKey().wire(), e.getValue());
            total += e.getValue();
        }
        counts.put("total", total);
        counts.put("offline", d.offline());
        return counts;
    }
}
