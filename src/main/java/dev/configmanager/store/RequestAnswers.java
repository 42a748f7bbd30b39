package dev.configmanager.store;

import com.fasterxml.jackson.databind.JsonNode;
import dev.configmanager.wire.ConfigResult;
import dev.configmanager.wire.Json;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The first answers to request ids on a shared database ({@code cm_answer}), so that deduplication holds across
 * brokers: the key on (service, request id) lets only one broker answer an id, whichever broker the retry reaches.
 */
final class RequestAnswers {

    /** The most characters of a stored answer (its column's size); longer rejections are kept without details. */
    static final int MAX_CHARS = 65_536;

    private RequestAnswers() {}

    /** An answer as stored: its JSON, without the details of a rejection too long for the column. */
    static String text(final ConfigResult result) {
        final String full = result.data().toString();
        if (full.length() <= MAX_CHARS || !(result instanceof ConfigResult.Rejected r)) {
            return full;
        }
        return new ConfigResult.Rejected(r.service(), r.code(), r.message(), List.of(), r.currentVersion())
                .data()
                .toString();
    }

    /**
     * The answers to these request ids of one service that have not expired at {@code now}. Expired (or unreadable)
     * ones are deleted in the caller's transaction, so the id can be answered anew.
     */
    static Map<String, ConfigResult> find(
            final Connection c, final String service, final Collection<String> requestIds, final Instant now)
            throws SQLException {
        final Map<String, ConfigResult> found = new HashMap<>();
        try (var s = c.prepareStatement(
                        "SELECT expires_at, result FROM cm_answer WHERE service = ? AND request_id = ?");
                var forget = c.prepareStatement("DELETE FROM cm_answer WHERE service = ? AND request_id = ?")) {
            for (final String id : requestIds) {
                s.setString(1, service);
                s.setString(2, id);
                final Optional<ConfigResult> answer;
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        continue;
                    }
                    answer = rs.getTimestamp(1).toInstant().isAfter(now) ? read(rs.getString(2)) : Optional.empty();
                }
                if (answer.isPresent()) {
                    found.put(id, answer.get());
                } else {
                    // expired or unreadable: it answers nothing, and must not keep the id from being answered anew
                    forget.setString(1, service);
                    forget.setString(2, id);
                    forget.executeUpdate();
                }
            }
        }
        return found;
    }

    private static Optional<ConfigResult> read(final String text) {
        try {
            final JsonNode data = Json.parse(text);
            return Optional.of(ConfigResult.read(data));
        } catch (final IOException | IllegalArgumentException e) {
            LoggerFactory.getLogger(RequestAnswers.class)
                    .warn("config-manager: a stored request answer cannot be read: {}", e.toString());
            return Optional.empty();
        }
    }

    /** Deletes the answers that expired before {@code now}. */
    static int forgetExpired(final Connection c, final Instant now) throws SQLException {
        try (var s = c.prepareStatement("DELETE FROM cm_answer WHERE expires_at <= ?")) {
            s.setTimestamp(1, Timestamp.from(now));
            return s.executeUpdate();
        }
    }
}
