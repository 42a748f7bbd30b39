package dev.configmanager.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.stream.Stream;

/**
 * The hostile-input corpus ({@code src/test/resources/hostile/*.case}), read for the broker test and the parser's
 * unit test alike.
 * <p>
 * A case file is a header ({@code topic:} after {@code config/}, {@code expect:} the error code, {@code encoding:}
 * text, base64, or repeat with {@code prefix/unit/count/suffix}) then {@code ---} and the payload. Optional headers:
 * {@code response-topic:} the MQTT 5 response topic to ask for (one the extension must refuse: the result is then
 * expected on {@code config/result/<service>}), and {@code client-id:} (repeated {@code client-id-count:} times) the
 * id of the client that sends it. {@code expect: accepted} is for hostile client ids on {@code corpus-accepted-*}
 * services: the write must be stored and reach {@code config/updated} with user properties every client decodes.
 */
public final class HostileCorpus {

    private static final Path CORPUS = Path.of("src/test/resources/hostile");

    private HostileCorpus() {}

    /** One corpus entry; {@code responseTopic} and {@code clientId} are {@code null} unless the case sets them. */
    public record Case(
            String name, String topic, String expect, byte[] payload, String responseTopic, String clientId) {
        public String service() {
            final int slash = topic.indexOf('/');
            return slash < 0 ? "" : topic.substring(slash + 1);
        }
    }

    public static List<Case> cases() throws IOException {
        try (Stream<Path> files = Files.list(CORPUS)) {
            return files.filter(p -> p.toString().endsWith(".case"))
                    .sorted()
                    .map(HostileCorpus::read)
                    .toList();
        }
    }

    private static Case read(final Path file) {
        try {
            final String text = Files.readString(file, StandardCharsets.UTF_8);
            final int split = text.indexOf("\n---\n");
            final String body = text.substring(split + 5);
            final var header = new HashMap<String, String>();
            for (final String line : text.substring(0, split).split("\n")) {
                final int colon = line.indexOf(": ");
                header.put(line.substring(0, colon), line.substring(colon + 2));
            }
            final byte[] payload = switch (header.get("encoding")) {
                case "text" -> body.getBytes(StandardCharsets.UTF_8);
                case "base64" -> Base64.getDecoder().decode(body.trim());
                case "repeat" ->
                    (unescape(header.get("prefix"))
                                    + unescape(header.get("unit")).repeat(Integer.parseInt(header.get("count")))
                                    + unescape(header.get("suffix")))
                            .getBytes(StandardCharsets.UTF_8);
                default -> throw new IllegalArgumentException("unknown encoding in " + file);
            };
            final String name = file.getFileName().toString().replace(".case", "");
            final String clientId = header.containsKey("client-id")
                    ? unescape(header.get("client-id"))
                            .repeat(Integer.parseInt(header.getOrDefault("client-id-count", "1")))
                    : null;
            return new Case(
                    name, header.get("topic"), header.get("expect"), payload, header.get("response-topic"), clientId);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The few escapes the corpus headers use: {@code \xHH}, backslash-u with four hex digits, {@code \t},
     * {@code \n}, {@code \\}.
     */
    private static String unescape(final String s) {
        final var sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c != '\\' || i + 1 >= s.length()) {
                sb.append(c);
                continue;
            }
            final char n = s.charAt(++i);
            switch (n) {
                case 'x' -> {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 3), 16));
                    i += 2;
                }
                case 'u' -> {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                case 't' -> sb.append('\t');
                case 'n' -> sb.append('\n');
                default -> sb.append(n);
            }
        }
        return sb.toString();
    }
}
