package dev.stanch.ledger;

/** Checks on the text the ledger stores. */
final class Text {

    private Text() {}

    /** Non-blank, and storable: PostgreSQL's text cannot hold U+0000. */
    static String requireText(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
        if (value.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException(name + " must not contain U+0000");
        }
        return value;
    }
}
