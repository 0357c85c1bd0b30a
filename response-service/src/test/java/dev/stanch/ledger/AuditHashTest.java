package dev.stanch.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The canonical form of an audit row, byte for byte, so that it is what the documentation says and
 * never changes by accident: the hash below was computed with {@code sha256sum} over the expected
 * text, not with this code.
 */
class AuditHashTest {

    private static final UUID ACTION = UUID.fromString("3f1c2d4e-0000-4000-8000-000000000001");

    @Test
    void theCanonicalFormIsFixed() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("z", new BigDecimal("1.50"));
        inner.put("y", Arrays.asList(true, null));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("é", "x");
        details.put("b", 1L);
        details.put("a", inner);

        String canonical = AuditHash.canonicalForm(
                1,
                ACTION,
                Instant.parse("2026-11-22T10:00:00Z"),
                "alice",
                "pending-approval",
                "approved",
                "looks \"bad\"\nreally\u0001",
                details,
                AuditHash.GENESIS);

        assertThat(canonical)
                .isEqualTo("[\"stanch-audit-v1\",1,\"3f1c2d4e-0000-4000-8000-000000000001\","
                        + "\"2026-11-22T10:00:00.000000Z\",\"alice\",\"pending-approval\",\"approved\","
                        + "\"looks \\\"bad\\\"\\nreally\\u0001\",{\"a\":{\"y\":[true,null],\"z\":1.50},\"b\":1,\"é\":\"x\"},"
                        + "\"0000000000000000000000000000000000000000000000000000000000000000\"]");
        assertThat(AuditHash.sha256(canonical))
                .isEqualTo("887fc8899e3c9344146cac84cc4c9c23199687555a8e8ac786fb601ccc97e086");
    }

    @Test
    void theFirstRowHasNoFromStatusAndTimesKeepSixDigits() {
        String canonical = AuditHash.canonicalForm(
                7,
                ACTION,
                Instant.parse("2026-11-22T10:00:00.123456Z"),
                "stanch:playbooks",
                null,
                "planned",
                "planned",
                Map.of(),
                "ab");

        assertThat(canonical)
                .isEqualTo(
                        "[\"stanch-audit-v1\",7,\"3f1c2d4e-0000-4000-8000-000000000001\","
                                + "\"2026-11-22T10:00:00.123456Z\",\"stanch:playbooks\",null,\"planned\",\"planned\",{},\"ab\"]");
    }

    @Test
    void numbersAreHashedAsJsonbPrintsThem() {
        // What LedgerJson.readExact makes of jsonb's text: exact decimals, never an exponent.
        Object details = LedgerJson.readExact("{\"big\": 100000000000000000000, \"small\": 0.00000000015, \"n\": -3}");

        assertThat(AuditHash.canonicalJson(details))
                .isEqualTo("{\"big\":100000000000000000000,\"n\":-3,\"small\":0.00000000015}");
    }

    @Test
    void aDoubleHasNoCanonicalForm() {
        assertThatThrownBy(() -> AuditHash.canonicalJson(List.of(0.1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.Double");
    }
}
