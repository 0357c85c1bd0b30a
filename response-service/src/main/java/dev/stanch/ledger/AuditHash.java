package dev.stanch.ledger;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The audit log's hash chain. A row's hash is the SHA-256 of the UTF-8 bytes of its canonical form,
 * written as 64 lower-case hex digits. The canonical form is a JSON array of exactly these ten
 * values, in this order, without any whitespace:
 *
 * <pre>{@code
 * ["stanch-audit-v1", seq, actionId, at, actor, from, to, reason, details, prevHash]
 * }</pre>
 *
 * <ul>
 *   <li>{@code seq}: the row's number, 1, 2, 3 …, as a JSON integer;
 *   <li>{@code actionId}: the action's UUID, lower case with dashes;
 *   <li>{@code at}: UTC, ISO-8601, exactly six fractional digits: {@code
 *       "2026-11-22T10:00:00.000000Z"} (the ledger keeps microseconds, PostgreSQL's resolution);
 *   <li>{@code actor}, {@code reason}: the strings as stored;
 *   <li>{@code from}, {@code to}: status wire names ({@code "pending-approval"}); {@code from} is
 *       {@code null} on the row that creates the action;
 *   <li>{@code details}: a JSON object whose keys are sorted at every level by UTF-16 code units
 *       (Java's {@code String.compareTo}, as RFC 8785); numbers are written as PostgreSQL's jsonb
 *       prints them — plain decimals, never an exponent, their scale kept ({@code 1.50} stays {@code
 *       1.50}) — because the ledger hashes the details as jsonb stored them;
 *   <li>{@code prevHash}: the previous row's hash; the first row's is the genesis value, 64 zeros.
 * </ul>
 *
 * Strings escape only {@code "}, {@code \} and the control characters below U+0020 ({@code \b
 * \f \n \r \t}, the others as &#92;u00 and two lower-case hex digits); everything else is literal UTF-8:
 * the string rules of RFC 8785. So anyone can recompute a row's hash from its columns with a few
 * lines in any language, and the form is unambiguous: a reason that contains quotes or a newline
 * cannot pass for another field.
 */
final class AuditHash {

    static final String VERSION = "stanch-audit-v1";
    static final String GENESIS = "0".repeat(64);

    private static final DateTimeFormatter AT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private AuditHash() {}

    /**
     * The hash of one row. {@code details} are plain JSON values as {@link LedgerJson#readExact}
     * reads them from jsonb.
     */
    static String hash(
            long seq,
            UUID actionId,
            Instant at,
            String actor,
            @Nullable String from,
            String to,
            String reason,
            Object details,
            String prevHash) {
        return sha256(canonicalForm(seq, actionId, at, actor, from, to, reason, details, prevHash));
    }

    static String canonicalForm(
            long seq,
            UUID actionId,
            Instant at,
            String actor,
            @Nullable String from,
            String to,
            String reason,
            Object details,
            String prevHash) {
        List<Object> row = new ArrayList<>();
        row.add(VERSION);
        row.add(seq);
        row.add(actionId.toString());
        row.add(formatAt(at));
        row.add(actor);
        row.add(from);
        row.add(to);
        row.add(reason);
        row.add(details);
        row.add(prevHash);
        return canonicalJson(row);
    }

    static String formatAt(Instant at) {
        return AT.format(at);
    }

    static String sha256(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** JSON with sorted keys and exact numbers, as the class comment describes. */
    static String canonicalJson(@Nullable Object value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(@Nullable Object value, StringBuilder out) {
        switch (value) {
            case null -> out.append("null");
            case String text -> string(text, out);
            case Boolean bool -> out.append(bool);
            case Long number -> out.append(number);
            case Integer number -> out.append(number);
            case BigInteger number -> out.append(number);
            case BigDecimal number -> out.append(number.toPlainString());
            case Map<?, ?> map -> {
                TreeMap<String, Object> sorted = new TreeMap<>();
                map.forEach((key, entry) -> sorted.put((String) key, entry));
                out.append('{');
                boolean first = true;
                for (var entry : sorted.entrySet()) {
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    string(entry.getKey(), out);
                    out.append(':');
                    write(entry.getValue(), out);
                }
                out.append('}');
            }
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    write(list.get(i), out);
                }
                out.append(']');
            }
            default ->
                // A double would be hashed as Java prints it, not as jsonb stored it: details are
                // always read back from jsonb (LedgerJson.readExact) before they are hashed.
                throw new IllegalArgumentException(
                        "no canonical JSON form for " + value.getClass().getName() + ": " + value);
        }
    }

    private static void string(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
