package dev.configmanager.bench;

import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Many MQTT clients in a child JVM, driven by the benchmark over stdin/stdout. Both ends of 10,000 connections do
 * not fit in one process's file-descriptor limit, and the clients' own heap and garbage stay out of the broker's
 * JVM, whose heap the benchmark measures.
 * <p>
 * Commands, one per line: {@code connect <port> <n> <id-prefix>} answers {@code connected <millis>} (first CONNECT
 * sent to last CONNACK received); {@code disconnect} answers {@code disconnected}; end of input exits.
 */
public final class ClientFleet implements AutoCloseable {

    private static final int IN_FLIGHT = 100;

    private final Process process;
    private final BufferedWriter commands;
    private final BufferedReader answers;

    private ClientFleet(final Process process) {
        this.process = process;
        this.commands = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Starts the child JVM with this JVM's class path. */
    static ClientFleet start() throws IOException {
        final ProcessBuilder pb = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g",
                "-cp",
                System.getProperty("java.class.path"),
                ClientFleet.class.getName()));
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        return new ClientFleet(pb.start());
    }

    /** The child JVM's process id, so that its JIT compiler can be watched during a warm-up. */
    long pid() {
        return process.pid();
    }

    /** Connects {@code n} clients {@code <prefix>0…}; the time from the first CONNECT to the last CONNACK. */
    double connect(final int port, final int n, final String prefix) throws IOException {
        return Double.parseDouble(ask("connect " + port + " " + n + " " + prefix, "connected"));
    }

    void disconnect() throws IOException {
        ask("disconnect", "disconnected");
    }

    private String ask(final String command, final String answer) throws IOException {
        commands.write(command);
        commands.newLine();
        commands.flush();
        String line;
        while ((line = answers.readLine()) != null) {
            if (line.startsWith(answer)) {
                return line.substring(answer.length()).trim();
            }
            if (line.startsWith("failed")) {
                throw new IOException("client fleet: " + line);
            }
        }
        throw new IOException("client fleet exited while waiting for '" + answer + "'");
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

    public static void main(final String[] args) throws IOException {
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        final List<Mqtt5AsyncClient> clients = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null) {
            final String[] words = line.trim().split(" ");
            try {
                if (words[0].equals("connect")) {
                    final long started = System.nanoTime();
                    connectAll(clients, Integer.parseInt(words[1]), Integer.parseInt(words[2]), words[3]);
                    System.out.println("connected " + (System.nanoTime() - started) / 1e6);
                } else if (words[0].equals("disconnect")) {
                    final List<CompletableFuture<?>> gone = new ArrayList<>();
                    clients.forEach(c -> gone.add(c.disconnect()));
                    CompletableFuture.allOf(gone.toArray(CompletableFuture[]::new))
                            .get(120, TimeUnit.SECONDS);
                    clients.clear();
                    System.out.println("disconnected");
                }
            } catch (final Exception e) {
                System.out.println("failed " + e);
            }
            System.out.flush();
        }
    }

    /**
     * At most {@value IN_FLIGHT} CONNECTs in flight, as a fleet of devices reconnecting after an outage would be. Fewer
     * than HiveMQ CE's listen backlog (128, fixed in its Netty bootstrap): with 250 the kernel's accept queue
     * overflowed, the handshakes it dropped were retried after TCP's 1 s timeout, and a connect sample of 1,000
     * clients took 0.3 s or 1.1 s depending on whether one had (the benchmark counts those overflows).
     */
    private static void connectAll(
            final List<Mqtt5AsyncClient> clients, final int port, final int n, final String prefix) throws Exception {
        final Semaphore inFlight = new Semaphore(IN_FLIGHT);
        final List<CompletableFuture<?>> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            inFlight.acquire();
            final Mqtt5AsyncClient c = Mqtt5Client.builder()
                    .identifier(prefix + i)
                    .serverHost("127.0.0.1")
                    .serverPort(port)
                    .buildAsync();
            clients.add(c);
            all.add(c.connect().whenComplete((ack, error) -> inFlight.release()));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }
}
