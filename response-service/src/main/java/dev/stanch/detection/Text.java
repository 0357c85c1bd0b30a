package dev.stanch.detection;

/** Quoting detector-supplied text into reasons: short, and one line. */
final class Text {

    private static final int MAX_QUOTED = 100;

    private Text() {}

    /** {@code 'value'}, shortened and with control characters escaped. */
    static String quote(Object value) {
        return "'" + abbreviate(escape(String.valueOf(value)), MAX_QUOTED) + "'";
    }

    static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }

    private static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
