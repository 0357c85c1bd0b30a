package dev.stanch.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LabelIndexTest {

    private record Item(int id, int namespace, Map<String, String> labels) {}

    private static final String[] KEYS = {"app", "tier", "env", "block.stanch.dev/a1", "block.stanch.dev/a2"};
    private static final String[] VALUES = {"web", "db", "true", "prod", "x"};

    /**
     * Selecting through the index gives what scanning the namespace gives — the same pods, in the same
     * order — for random pods and selectors (fixed seed): matchLabels of zero to three pairs, some on
     * keys or values no pod carries, with and without matchExpressions.
     */
    @Test
    void selectsWhatAScanSelects() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            int namespaces = 1 + random.nextInt(4);
            List<Item> items = new ArrayList<>();
            int count = random.nextInt(60);
            for (int i = 0; i < count; i++) {
                Map<String, String> labels = new LinkedHashMap<>();
                int pairs = random.nextInt(4);
                for (int p = 0; p < pairs; p++) {
                    labels.put(KEYS[random.nextInt(KEYS.length)], VALUES[random.nextInt(VALUES.length)]);
                }
                items.add(new Item(i, random.nextInt(namespaces), labels));
            }
            LabelIndex<Item> index = new LabelIndex<>(items, Item::namespace, Item::labels, namespaces);
            for (int s = 0; s < 20; s++) {
                Map<String, String> matchLabels = new LinkedHashMap<>();
                int pairs = random.nextInt(4);
                for (int p = 0; p < pairs; p++) {
                    matchLabels.put(
                            random.nextInt(8) == 0 ? "absent" : KEYS[random.nextInt(KEYS.length)],
                            VALUES[random.nextInt(VALUES.length)]);
                }
                List<Selector.Requirement> requirements = random.nextBoolean()
                        ? List.of()
                        : List.of(Selector.Requirement.of(
                                KEYS[random.nextInt(KEYS.length)], "NotIn", List.of("web"), "test"));
                Selector selector = new Selector(matchLabels, requirements);
                for (int namespace = 0; namespace < namespaces; namespace++) {
                    int ns = namespace;
                    List<Item> scanned = items.stream()
                            .filter(item -> item.namespace() == ns && selector.matches(item.labels()))
                            .toList();
                    List<Item> indexed = index.candidates(ns, selector).stream()
                            .filter(item -> selector.matches(item.labels()))
                            .toList();
                    assertThat(indexed).as("%s in namespace %d", selector, ns).isEqualTo(scanned);
                }
            }
        }
    }
}
