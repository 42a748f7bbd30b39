package dev.configmanager.support;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A bare MQTT 3.1.1 connection over a plain socket, for what a well-behaved client library will not do: vanish
 * without a DISCONNECT, or stop sending within its keepalive.
 */
public final class RawMqttClient implements AutoCloseable {

    private final Socket socket;

    private RawMqttClient(final Socket socket) {
        this.socket = socket;
    }

    /** Connects and waits for a successful CONNACK. */
    public static RawMqttClient connect(final int port, final String clientId, final int keepAliveSeconds)
            throws IOException {
        final Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        final byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        final int remaining = 10 + 2 + id.length;
        final OutputStream out = socket.getOutputStream();
        out.write(new byte[]{0x10, (byte) remaining, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02,
                (byte) (keepAliveSeconds >> 8), (byte) keepAliveSeconds, (byte) (id.length >> 8), (byte) id.length});
        out.write(id);
        out.flush();
        final byte[] connack = new byte[4];
        new DataInputStream(socket.getInputStream()).readFully(connack);
        if (connack[0] != 0x20 || connack[3] != 0) {
            socket.close();
            throw new IOException("connection refused, CONNACK return code " + connack[3]);
        }
        return new RawMqttClient(socket);
    }

    /** Closes the TCP connection without sending DISCONNECT. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
