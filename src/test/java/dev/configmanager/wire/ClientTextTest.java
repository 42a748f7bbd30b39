package dev.configmanager.wire;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("unit")
class ClientTextTest {

    @Test
    void whatMqttClientsRefuseIsNotSafe() {
        for (final String bad : new String[] {
            "a\u0001", "a\u007f", "a\u0085", "a\uFEFF", "a\uFFFF", "a\uFDD0", "a\uD800", "a\uDC00b", "a\u2028", "a\n"
        }) {
            assertFalse(
                    ClientText.isSafe(bad),
                    bad.codePoints().mapToObj(Integer::toHexString).toList().toString());
        }
        assertTrue(ClientText.isSafe("tts-worker.eu_1:x@y/z+=é漢\uD83D\uDE00"), "ordinary text, a pair included");
    }

    @Test
    void escapingShowsWhatWasSentAndCannotBeForged() {
        assertEquals("svc\\ufeffbom", ClientText.escape("svc\uFEFFbom", 80));
        assertEquals("a\\u000ab", ClientText.escape("a\nb", 80));
        // a client that sends a literal backslash-u cannot pass for an escaped character
        assertEquals("a\\u005cu000ab", ClientText.escape("a\\u000ab", 80));
        assertEquals("\uD83D\uDE00", ClientText.escape("\uD83D\uDE00", 80));
    }

    @Test
    void escapedTextIsBoundedHoweverMuchOfItNeedsEscaping() {
        assertEquals("xxxx...", ClientText.escape("x".repeat(65_535), 4));
        assertTrue(ClientText.escape("\u0001".repeat(10_000), 80).length() <= 80 + 3, "never more than the bound");
        assertEquals("ab...", ClientText.escape("ab\ncd", 7), "an escape that would not fit is left out whole");
        assertEquals("a...", ClientText.escape("a\uD83D\uDE00", 2), "so is a character of two chars");
        assertEquals("", ClientText.escape(null, 80));
    }
}
