package dev.mnv2.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class TextTest {
    @Test
    void controlCharactersAreEscapedAndEverythingElseKept() {
        assertEquals("a\\u000ab\\u000d\\u001b[2Jc\\u0000", Text.printable("a\nb\r\u001b[2Jc\u0000"));
        String plain = "features.0.0 'ünïcode' \u2603";
        assertSame(plain, Text.printable(plain));
        assertNull(Text.printable(null));
    }
}
