package dev.configmanager.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A bare MQTT 3.1.1 connection over a plain socket, for what a well-behaved client library will not do: vanish
 * without a DISCONNECT (right after a publish, leaving its will behind), or stop sending within its keepalive.
 */
public final class RawMqttClient implements AutoCloseable {

    private final Socket socket;

    private RawMqttClient(final Socket socket) {
        this.socket = socket;
    }

    /** Connects and waits for a successful CONNACK. */
    public static RawMqttClient connect(final int port, final String clientId, final int keepAliveSeconds)
            throws IOException {
        return connect(port, clientId, keepAliveSeconds, null, null);
    }

    /**
     * Connects with a retained QoS 1 Last Will on {@code willTopic} (none when it is {@code null}) and waits for a
     * successful CONNACK.
     */
    public static RawMqttClient connect(
            final int port,
            final String clientId,
            final int keepAliveSeconds,
            final String willTopic,
            final String willPayload)
            throws IOException {
        final Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        final var body = new ByteArrayOutputStream();
        body.write(new byte[] {0, 4, 'M', 'Q', 'T', 'T', 4});
        // clean session; with a will: will flag, will QoS 1, will retain
        body.write(willTopic == null ? 0x02 : 0x02 | 0x04 | 0x08 | 0x20);
        body.write(new byte[] {(byte) (keepAliveSeconds >> 8), (byte) keepAliveSeconds});
        writeString(body, clientId);
        if (willTopic != null) {
            writeString(body, willTopic);
            writeString(body, willPayload);
        }
        final OutputStream out = socket.getOutputStream();
        out.write(0x10);
        writeLength(out, body.size());
        body.writeTo(out);
        out.flush();
        final byte[] connack = new byte[4];
        new DataInputStream(socket.getInputStream()).readFully(connack);
        if (connack[0] != 0x20 || connack[3] != 0) {
            socket.close();
            throw new IOException("connection refused, CONNACK return code " + connack[3]);
        }
        return new RawMqttClient(socket);
    }

    /** Sends a QoS 0 PUBLISH and returns at once. */
    public void publish(final String topic, final String payload, final boolean retain) throws IOException {
        final var body = new ByteArrayOutputStream();
        writeString(body, topic);
        body.write(payload.getBytes(StandardCharsets.UTF_8));
        final OutputStream out = socket.getOutputStream();
        out.write(retain ? 0x31 : 0x30);
        writeLength(out, body.size());
        body.writeTo(out);
        out.flush();
    }

    private static void writeString(final ByteArrayOutputStream out, final String s) throws IOException {
        final byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.write(bytes.length >> 8);
        out.write(bytes.length);
        out.write(bytes);
    }

    /** MQTT's variable-length remaining length. */
    private static void writeLength(final OutputStream out, final int length) throws IOException {
        int left = length;
        do {
            int digit = left % 128;
            left /= 128;
            if (left > 0) {
                digit |= 0x80;
            }
            out.write(digit);
        } while (left > 0);
    }

    /** Closes the TCP connection without sending DISCONNECT. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
