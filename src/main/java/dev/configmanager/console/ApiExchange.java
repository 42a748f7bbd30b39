package dev.configmanager.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.configmanager.wire.ConfigResult.Rejected;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** One API call: the request's parts, a bounded body, and JSON answers (errors in the same shape as MQTT results). */
final class ApiExchange {

    /** An answer that ends the call early, e.g. 401 or 404; {@link ApiRouter} sends it. */
    static final class Failure extends Exception {
        final int status;
        final String code;
        /** The whole answer when it says more than code and message (a rejected write), else {@code null}. */
        final transient @Nullable ObjectNode body;

        Failure(final int status, final String code, final String message) {
            this(status, code, message, null);
        }

        private Failure(final int status, final String code, final String message, final @Nullable ObjectNode body) {
            super(message, null, false, false);
            this.status = status;
            this.code = code;
            this.body = body;
        }

        /** A write the pipeline rejected: the same error object as on MQTT, with the status its code means. */
        static Failure of(final Rejected r) {
            final ObjectNode body = r.data();
            body.remove("service");
            return new Failure(status(r.code()), r.code().wire(), r.message(), body);
        }

        /** The one mapping from a rejection's code to an HTTP status. */
        static int status(final ErrorCode code) {
            return switch (code) {
                case INVALID_JSON, INVALID_REQUEST, INVALID_SERVICE_NAME -> 400;
                case NOT_AUTHORIZED -> 403;
                case NOT_FOUND -> 404;
                case VERSION_CONFLICT -> 409;
                case TOO_LARGE -> 413;
                case SCHEMA_VIOLATION, TOO_DEEP, UNKNOWN_SERVICE -> 422;
                case STORE_UNAVAILABLE -> 503;
                case INTERNAL -> 500;
            };
        }
    }

    private final HttpExchange exchange;
    private final String[] segments;
    private final Map<String, String> query = new HashMap<>();

    ApiExchange(final HttpExchange exchange) {
        this.exchange = exchange;
        final String path = exchange.getRequestURI().getPath();
        this.segments = path.replaceAll("^/+|/+$", "").split("/");
        final String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (final String pair : raw.split("&")) {
                final int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(
                            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
    }

    String method() {
        return exchange.getRequestMethod();
    }

    /** Path segments after {@code /api}: {@code /api/services/x/history} gives {@code [services, x, history]}. */
    String[] route() {
        final String[] route = new String[Math.max(0, segments.length - 1)];
        System.arraycopy(segments, 1, route, 0, route.length);
        return route;
    }

    Optional<String> header(final String name) {
        return Optional.ofNullable(exchange.getRequestHeaders().getFirst(name));
    }

    Optional<String> query(final String name) {
        return Optional.ofNullable(query.get(name));
    }

    int intQuery(final String name, final int fallback, final int max) throws Failure {
        final Optional<String> value = query(name);
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            final int v = Integer.parseInt(value.get());
            if (v >= 0 && v <= max) {
                return v;
            }
        } catch (final NumberFormatException ignored) {
            // answered below
        }
        throw new Failure(400, ErrorCode.INVALID_REQUEST.wire(), name + " must be an integer from 0 to " + max);
    }

    /** The body, at most {@code limit + 1} bytes read, so an oversized body is recognised without reading it all. */
    ByteBuffer body(final int limit) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            final byte[] bytes = in.readNBytes(limit + 1);
            return ByteBuffer.wrap(bytes);
        }
    }

    /**
     * Reads and drops what is left of the request body, up to {@code limit} bytes, before an early answer: a body
     * left unread makes the server drop the connection after the answer, and a client that reuses it (every HTTP/1.1
     * client does) finds it closed under its next request. A larger rest closes the connection openly.
     */
    void discardBody(final int limit) {
        try {
            final InputStream in = exchange.getRequestBody();
            long left = limit;
            final byte[] sink = new byte[8192];
            int n;
            while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) >= 0) {
                left -= n;
            }
            if (left <= 0 && in.read() >= 0) {
                setHeader("Connection", "close");
            }
        } catch (final IOException e) {
            // already read to its end and closed by body(), or the connection is broken: nothing to drain
        }
    }

    void respond(final int status, final JsonNode body) throws IOException {
        final byte[] bytes = Json.bytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The request body as it arrives, for a handler that reads it as a stream (the caller closes it). */
    InputStream bodyStream() {
        return exchange.getRequestBody();
    }

    /**
     * A response body streamed with a status of 200, whose headers are sent only at its first byte: a handler that
     * fails before writing anything can still answer with an error. With a file name, it is offered as a download.
     */
    OutputStream streamOk(final String contentType, final @Nullable String fileName) {
        return new OutputStream() {
            private OutputStream out;

            private OutputStream started() throws IOException {
                if (out == null) {
                    exchange.getResponseHeaders().set("Content-Type", contentType);
                    exchange.getResponseHeaders().set("Cache-Control", "no-store");
                    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
                    if (fileName != null) {
                        exchange.getResponseHeaders()
                                .set("Content-Disposition", "attachment; filename=\"" + fileName + "\"");
                    }
                    exchange.sendResponseHeaders(200, 0);
                    out = exchange.getResponseBody();
                }
                return out;
            }

            @Override
            public void write(final int b) throws IOException {
                started().write(b);
            }

            @Override
            public void write(final byte[] b, final int off, final int len) throws IOException {
                started().write(b, off, len);
            }

            @Override
            public void flush() throws IOException {
                started().flush();
            }

            @Override
            public void close() throws IOException {
                started().close();
            }
        };
    }

    void respondError(final int status, final String code, final String message, final JsonNode details)
            throws IOException {
        final ObjectNode body = Json.object();
        final ObjectNode error = body.putObject("error");
        error.put("code", code);
        error.put("message", message);
        error.set("details", details == null ? Json.MAPPER.createArrayNode() : details);
        respond(status, body);
    }

    void setHeader(final String name, final String value) {
        exchange.getResponseHeaders().set(name, value);
    }
}
