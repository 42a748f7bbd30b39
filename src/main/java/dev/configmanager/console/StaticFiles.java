package dev.configmanager.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * The console page: its files from the extension jar, nothing from the network (the script is a bundle built from
 * {@code src/main/console}, checked in). A strict Content-Security-Policy
 * allows only this server's own script and style, so injected markup could not run code.
 */
final class StaticFiles implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(StaticFiles.class);
    private static final Map<String, String> FILES = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/app.js", "app.js",
            "/app.css", "app.css",
            "/favicon.svg", "favicon.svg");
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8",
            "favicon.svg", "image/svg+xml");

    /** Where index.html takes the page load's style nonce (on its script element). */
    private static final String NONCE_PLACEHOLDER = "{{style-nonce}}";

    private final SecureRandom random = new SecureRandom();

    private String newNonce() {
        final byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }

    @Override
    public void handle(final HttpExchange exchange) throws IOException {
        try {
            final String file = FILES.get(exchange.getRequestURI().getPath());
            if (file == null || !exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] bytes;
            try (InputStream in = StaticFiles.class.getResourceAsStream("/console/" + file)) {
                if (in == null) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                bytes = in.readAllBytes();
            }
            exchange.getResponseHeaders().set("Content-Type", TYPES.get(file));
            // the editor puts its own styles in a <style> element: allowed by a nonce new at every page load, which
            // the page's script reads from its own element's nonce attribute (hidden from selectors); no other inline
            // style or script runs
            final String nonce = newNonce();
            if (file.equals("index.html")) {
                bytes = new String(bytes, StandardCharsets.UTF_8)
                        .replace(NONCE_PLACEHOLDER, nonce)
                        .getBytes(StandardCharsets.UTF_8);
            }
            exchange.getResponseHeaders()
                    .set(
                            "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; style-src 'self' 'nonce-" + nonce + "'; "
                                    + "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
                                    + "frame-ancestors 'none'");
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (final IOException | RuntimeException e) {
            log.debug("config-manager: serving {} failed: {}", exchange.getRequestURI(), e.toString());
        } finally {
            exchange.close();
        }
    }
}
