package dev.configmanager.wire;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The canonical form must equal, byte for byte, what the py-tars services compute with
 * {@code orjson.dumps(obj, option=OPT_SORT_KEYS)}; the vectors made by running orjson are checked in
 * {@code TarsSigningVectorsTest}, the boundaries of its float layout here.
 */
@Tag("unit")
class CanonicalJsonTest {

    @Test
    void sortsKeysAtEveryLevelAndEscapesOnlyWhatJsonRequires() throws Exception {
        final String input = "{\"b\":1,\"a\":[1,2.5,{\"z\":null,\"y\":true}],\"é\":\"ü\","
                + "\"c\":\"tab\\there\\n\\u0001\\\"q\\\"\\\\\"}";
        assertEquals(
                "{\"a\":[1,2.5,{\"y\":true,\"z\":null}],\"b\":1,\"c\":\"tab\\there\\n\\u0001\\\"q\\\"\\\\\","
                        + "\"é\":\"ü\"}",
                CanonicalJson.write(Json.parse(input)));
    }

    @Test
    void writesFloatsAsOrjsonDoes() throws Exception {
        final String input = "{\"n\":[0.1,1e-7,1e16,123456789.123,-0.0,2.0,1e22,5e-324,1.7976931348623157e308,"
                + "100.0,0.0001,0.00001,0.0000099,1e-6,9999999999999998.0,1.5e-300]}";
        assertEquals(
                "{\"n\":[0.1,1e-7,1e+16,123456789.123,-0.0,2.0,1e+22,5e-324,1.7976931348623157e+308,100.0,"
                        + "0.0001,0.00001,9.9e-6,1e-6,9999999999999998.0,1.5e-300]}",
                CanonicalJson.write(Json.parse(input)));
    }

    @Test
    void ordersKeysByCodePointNotByUtf16Unit() throws Exception {
        // U+FFFF sorts before U+1F600 by code point, after it by UTF-16 unit.
        assertEquals(
                "{\"a\":3,\"\uFFFF\":2,\"\uD83D\uDE00\":1}",
                CanonicalJson.write(Json.parse("{\"\uD83D\uDE00\":1,\"\uFFFF\":2,\"a\":3}")));
    }

    @Test
    void checksumIsSha256HexOfTheUtf8Bytes() {
        // printf '{"a":1}' | sha256sum
        assertEquals(
                "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
                CanonicalJson.sha256Hex("{\"a\":1}"));
    }
}
