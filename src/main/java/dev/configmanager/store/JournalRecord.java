package dev.configmanager.store;

import dev.configmanager.wire.RequestOrigin;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of a journal record: one commit's sequence number, versions and audit lines, in a fixed binary form
 * ({@link CommitJournal} frames it with its length and checksum).
 */
final class JournalRecord {

    private JournalRecord() {}

    static byte[] encode(final CommitJournal.Entry entry) throws IOException {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(entry.seq());
            out.writeInt(entry.versions().size());
            for (final ConfigVersion v : entry.versions()) {
                writeString(out, v.service());
                out.writeLong(v.version());
                writeString(out, v.change().name());
                writeString(out, v.config());
                writeString(out, v.checksum());
                writeInstant(out, v.updatedAt());
                writeString(out, v.updatedBy());
                writeString(out, v.requestId());
                writeString(out, v.origin().name());
            }
            out.writeInt(entry.audit().size());
            for (final AuditRecord a : entry.audit()) {
                writeInstant(out, a.at());
                writeString(out, a.service());
                writeString(out, a.action());
                writeString(out, a.origin().name());
                writeString(out, a.requester());
                writeString(out, a.requestId());
                writeString(out, a.outcome());
                out.writeBoolean(a.version() != null);
                out.writeLong(a.version() == null ? 0 : a.version());
                writeString(out, a.errorCode());
                writeString(out, a.message());
            }
        }
        return bytes.toByteArray();
    }

    static CommitJournal.Entry decode(final byte[] body) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
            final long seq = in.readLong();
            final int versionCount = in.readInt();
            final List<ConfigVersion> versions = new ArrayList<>(versionCount);
            for (int i = 0; i < versionCount; i++) {
                versions.add(new ConfigVersion(
                        readString(in),
                        in.readLong(),
                        ConfigVersion.Change.valueOf(readString(in)),
                        readString(in),
                        readString(in),
                        readInstant(in),
                        readString(in),
                        readString(in),
                        RequestOrigin.valueOf(readString(in))));
            }
            final int auditCount = in.readInt();
            final List<AuditRecord> audit = new ArrayList<>(auditCount);
            for (int i = 0; i < auditCount; i++) {
                final Instant at = readInstant(in);
                final String service = readString(in);
                final String action = readString(in);
                final RequestOrigin origin = RequestOrigin.valueOf(readString(in));
                final String requester = readString(in);
                final String requestId = readString(in);
                final String outcome = readString(in);
                final boolean hasVersion = in.readBoolean();
                final long version = in.readLong();
                audit.add(new AuditRecord(
                        at,
                        service,
                        action,
                        origin,
                        requester,
                        requestId,
                        outcome,
                        hasVersion ? version : null,
                        readString(in),
                        readString(in)));
            }
            return new CommitJournal.Entry(seq, versions, audit);
        }
    }

    private static void writeString(final DataOutputStream out, final String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        final byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(final DataInputStream in) throws IOException {
        final int length = in.readInt();
        if (length < 0) {
            return null;
        }
        final byte[] utf8 = new byte[length];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    private static void writeInstant(final DataOutputStream out, final Instant at) throws IOException {
        out.writeLong(at.getEpochSecond());
        out.writeInt(at.getNano());
    }

    private static Instant readInstant(final DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }
}
