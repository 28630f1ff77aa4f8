package dev.mnv2.util;

/** Text from untrusted files, made safe to show. */
public final class Text {
    private Text() {}

    /**
     * {@code text} with each control character (line breaks, terminal escape sequences) written as
     * {@code \}{@code uXXXX}, so that a name taken from a file and quoted in an error message can neither
     * break its single line nor drive the terminal it is printed on. Null stays null.
     */
    public static String printable(String text) {
        if (text == null || text.chars().noneMatch(Character::isISOControl)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (char c : text.toCharArray()) {
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
