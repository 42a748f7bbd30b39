package dev.configmanager.pipeline;

import dev.configmanager.config.TopicLayout;
import dev.configmanager.config.TopicLayout.Action;
import dev.configmanager.config.TopicLayout.RequestTopic;
import dev.configmanager.pipeline.RequestParser.Parsed;
import dev.configmanager.wire.ErrorCode;
import dev.configmanager.wire.RequestOrigin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

@Tag("unit")
class RequestParserTest {

    private final RequestParser parser = new RequestParser(1024, 4);

    @Test
    void envelopeIdBecomesTheRequestIdAndDataTheBody() {
        final ConfigRequest r = ok(
                "set",
                "svc",
                "{\"id\":\"abc\",\"type\":\"config.set\",\"ts\":1.5,\"source\":\"ops\",\"data\":{\"config\":{\"a\":1},"
                        + "\"expected_version\":3}}");
        assertEquals("abc", r.requestId());
        assertEquals(3L, r.expectedVersion());
        assertEquals(1, r.document().get("a").asInt());
    }

    @Test
    void bareBodyCarriesItsOwnRequestId() {
        final ConfigRequest r = ok("rollback", "svc", "{\"to_version\":2,\"request_id\":\"r-1\"}");
        assertEquals("r-1", r.requestId());
        assertEquals(2, r.toVersion());
        assertNull(r.expectedVersion());
    }

    @Test
    void emptyPayloadIsAnEmptyDeleteButNotAnEmptySet() {
        assertEquals(Action.DELETE, ok("delete", "svc", "").action());
        assertEquals(
                ErrorCode.INVALID_JSON, failed("set", "svc", "").rejection().code());
    }

    @Test
    void rejectionKeepsTheEnvelopeIdReadBeforeTheProblem() {
        final Parsed.Failed f = failed("set", "svc", "{\"id\":\"keep-me\",\"data\":{\"config\":7}}");
        assertEquals("keep-me", f.requestId());
        assertEquals(ErrorCode.INVALID_REQUEST, f.rejection().code());
        assertEquals("/config", f.rejection().details().get(0).path());
    }

    @Test
    void aValueThatCannotBeStoredIsNamedByItsJsonPointer() {
        final Parsed.Failed f =
                failed("set", "svc", "{\"config\":{\"ok\":1,\"a/b\":[0,{\"x~y\":99999999999999999999}]}}");
        assertEquals(ErrorCode.INVALID_REQUEST, f.rejection().code());
        assertEquals(1, f.rejection().details().size());
        assertEquals("/a~1b/1/x~0y", f.rejection().details().get(0).path());
    }

    @Test
    void depthIsMeasuredBeforeParsingAndIgnoresBracketsInStrings() {
        assertEquals(
                ErrorCode.TOO_DEEP,
                failed("set", "svc", "{\"config\":{\"a\":[[[1]]]}}").rejection().code());
        final Parsed hostile = new RequestParser(1_000_000, 4)
                .parse(
                        topic("set", "svc"),
                        ByteBuffer.wrap("[".repeat(500_000).getBytes(StandardCharsets.UTF_8)),
                        "test",
                        RequestOrigin.MQTT);
        assertEquals(
                ErrorCode.TOO_DEEP,
                assertInstanceOf(Parsed.Failed.class, hostile).rejection().code());
        ok("set", "svc", "{\"config\":{\"a\":\"[[[[[[{{{{\\\"]]\"}}");
    }

    @Test
    void sizeIsCheckedBeforeTheBytesAreDecoded() {
        final byte[] big = new byte[2048];
        big[0] = (byte) 0xFF; // not UTF-8, but too large is what is reported
        assertEquals(
                ErrorCode.TOO_LARGE,
                parser.parse(topic("set", "svc"), ByteBuffer.wrap(big), "t", RequestOrigin.MQTT)
                                instanceof Parsed.Failed f
                        ? f.rejection().code()
                        : null);
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @CsvSource(
            delimiter = '|',
            value = {
                "set | svc | {\"config\":[]} | INVALID_REQUEST",
                "set | svc | {\"config\":{},\"extra\":1} | INVALID_REQUEST",
                "set | svc | {\"config\":{},\"expected_version\":-1} | INVALID_REQUEST",
                "set | svc | {\"config\":{},\"expected_version\":1.5} | INVALID_REQUEST",
                "set | svc | {\"config\":{\"n\":1e400}} | INVALID_REQUEST",
                "set | svc | {\"config\":{\"n\":92233720368547758070}} | INVALID_REQUEST",
                "set | svc | {\"config\":{\"s\":\"\\ud800\"}} | INVALID_REQUEST",
                "set | svc | {\"config\":{},\"request_id\":5} | INVALID_REQUEST",
                "set | svc | {\"id\":7,\"data\":{\"config\":{}}} | INVALID_REQUEST",
                "set | svc | {\"id\":\"x\",\"data\":{\"config\":{}},\"more\":1} | INVALID_REQUEST",
                "rollback | svc | {\"to_version\":0} | INVALID_REQUEST",
                "rollback | svc | {} | INVALID_REQUEST",
                "set | svc | {\"config\":{}} trailing | INVALID_JSON",
                "set | svc | {'config':{}} | INVALID_JSON",
                "set | svc | {\"config\":{\"a\":NaN}} | INVALID_JSON",
                "set | Svc | {\"config\":{}} | INVALID_SERVICE_NAME",
                "set | 1svc | {\"config\":{}} | INVALID_SERVICE_NAME",
                "set | svc/x | {\"config\":{}} | INVALID_SERVICE_NAME",
                "set | ../etc | {\"config\":{}} | INVALID_SERVICE_NAME",
                "set | ѕvc | {\"config\":{}} | INVALID_SERVICE_NAME",
            })
    void malformedRequestsAreRejectedWithTheRightCode(
            final String action, final String service, final String body, final ErrorCode code) {
        assertEquals(code, failed(action, service, body).rejection().code());
    }

    @Test
    void serviceNameLongerThan64CharactersIsInvalid() {
        ok("set", "a" + "b".repeat(63), "{\"config\":{}}");
        assertEquals(
                ErrorCode.INVALID_SERVICE_NAME,
                failed("set", "a" + "b".repeat(64), "{\"config\":{}}")
                        .rejection()
                        .code());
    }

    private ConfigRequest ok(final String action, final String service, final String payload) {
        final Parsed p = parse(action, service, payload);
        return assertInstanceOf(Parsed.Ok.class, p, () -> p.toString()).request();
    }

    private Parsed.Failed failed(final String action, final String service, final String payload) {
        return assertInstanceOf(Parsed.Failed.class, parse(action, service, payload));
    }

    private Parsed parse(final String action, final String service, final String payload) {
        return parser.parse(
                topic(action, service),
                ByteBuffer.wrap(payload.getBytes(StandardCharsets.UTF_8)),
                "test",
                RequestOrigin.MQTT);
    }

    private static RequestTopic topic(final String action, final String service) {
        return TopicLayout.DEFAULT
                .parseRequest("config/" + action + "/" + service)
                .orElseThrow();
    }
}
