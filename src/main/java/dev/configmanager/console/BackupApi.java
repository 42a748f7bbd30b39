package dev.configmanager.console;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.configmanager.backup.StoreTransfer;
import dev.configmanager.config.ConsoleSettings.Role;
import dev.configmanager.store.ImportRefusedException;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * {@code GET /api/export}, {@code POST /api/import} and {@code POST /api/backup}, for administrators only: the whole
 * store leaves or enters through them.
 */
final class BackupApi {

    /** The largest import read; beyond it the import is refused (a store this large is moved with database tools). */
    static final long MAX_IMPORT_BYTES = 1L << 30;

    private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

    private final ConsoleAuth auth;
    private final StoreTransfer transfer;
    private final Clock clock;

    BackupApi(final ConsoleAuth auth, final StoreTransfer transfer, final Clock clock) {
        this.auth = auth;
        this.transfer = transfer;
        this.clock = clock;
    }

    /** {@code ?audit=true} adds the audit log. */
    void export(final ApiExchange call) throws Exception {
        auth.authorize(call, Role.ADMIN);
        final String audit = call.query("audit").orElse("false");
        if (!audit.equals("true") && !audit.equals("false")) {
            throw new ApiExchange.Failure(400, ErrorCode.INVALID_REQUEST.wire(), "audit must be true or false");
        }
        final String name =
                "config-manager-export-" + FILE_TIME.format(clock.instant().atOffset(ZoneOffset.UTC)) + ".json";
        final OutputStream out = call.streamOk("application/json; charset=utf-8", name);
        // closed only when it worked: a store that fails before the first byte is answered with an error instead, one
        // that fails later leaves a document without its end, which no import takes
        transfer.export(out, audit.equals("true"));
        out.close();
    }

    void importStore(final ApiExchange call) throws Exception {
        final ConsoleAuth.Caller caller = auth.authorize(call, Role.ADMIN);
        final String type = call.header("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        if (!type.startsWith("application/json")) {
            throw new ApiExchange.Failure(
                    415, ErrorCode.INVALID_REQUEST.wire(), "send the export as Content-Type: application/json");
        }
        final long loaded;
        try (InputStream in = new Bounded(call.bodyStream(), MAX_IMPORT_BYTES)) {
            loaded = transfer.importFrom(in, "http:" + caller.name());
        } catch (final ImportRefusedException e) {
            throw new ApiExchange.Failure(
                    e.reason() == ImportRefusedException.Reason.INVALID_IMPORT ? 400 : 409,
                    e.reason().wire(),
                    e.getMessage());
        }
        final ObjectNode body = Json.object();
        body.put("imported_versions", loaded);
        call.respond(200, body);
    }

    void backup(final ApiExchange call) throws Exception {
        final ConsoleAuth.Caller caller = auth.authorize(call, Role.ADMIN);
        final StoreTransfer.Backup backup;
        try {
            backup = transfer.backup("http:" + caller.name());
        } catch (final UnsupportedOperationException e) {
            throw new ApiExchange.Failure(409, "not_supported", e.getMessage());
        } catch (final IOException e) {
            throw new ApiExchange.Failure(500, "backup_failed", e.getMessage());
        }
        final ObjectNode body = Json.object();
        body.put("file", backup.file().toString());
        body.put("bytes", backup.bytes());
        body.put("sha256", backup.sha256());
        call.respond(200, body);
    }

    /** Refuses a body longer than its limit, as a refused import (nothing is kept). */
    private static final class Bounded extends InputStream {
        private final InputStream in;
        private long left;

        Bounded(final InputStream in, final long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            final int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException {
            final int n = in.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(final int n) throws ImportRefusedException {
            left -= n;
            if (left < 0) {
                throw new ImportRefusedException(
                        ImportRefusedException.Reason.INVALID_IMPORT,
                        "the import is larger than " + MAX_IMPORT_BYTES + " bytes");
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
