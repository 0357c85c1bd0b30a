package dev.stanch.netpol;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Labelled items (pods) per namespace, and per label pair the items that carry it, in the order
 * given. A selector with {@code matchLabels} can only match items that carry every pair, so its
 * candidates are the items of its rarest pair rather than the whole namespace: Stanch's block
 * policies each select one pod by a label of its own, and scanning the namespace for each of them
 * was the engine's largest indexing cost.
 *
 * @param <T> the items
 */
final class LabelIndex<T> {

    private final List<List<T>> byNamespace = new ArrayList<>();
    private final List<Map<String, Map<String, List<T>>>> byPair = new ArrayList<>();

    /**
     * @param items the items, in the order candidates keep
     * @param namespace an item's namespace id, from 0 to {@code namespaces - 1}
     * @param labels an item's labels
     * @param namespaces how many namespace ids there are
     */
    LabelIndex(List<T> items, ToIntFunction<T> namespace, Function<T, Map<String, String>> labels, int namespaces) {
        for (int i = 0; i < namespaces; i++) {
            byNamespace.add(new ArrayList<>());
            byPair.add(new HashMap<>());
        }
        for (T item : items) {
            int id = namespace.applyAsInt(item);
            byNamespace.get(id).add(item);
            Map<String, Map<String, List<T>>> pairs = byPair.get(id);
            labels.apply(item)
                    .forEach((key, value) -> pairs.computeIfAbsent(key, k -> new HashMap<>())
                            .computeIfAbsent(value, v -> new ArrayList<>())
                            .add(item));
        }
    }

    /**
     * The items of the namespace that may match the selector, in the order given: every match and
     * perhaps others, so callers still check each with {@link Selector#matches}.
     */
    List<T> candidates(int namespace, Selector selector) {
        List<T> candidates = byNamespace.get(namespace);
        for (Map.Entry<String, String> pair : selector.matchLabels().entrySet()) {
            Map<String, List<T>> values = byPair.get(namespace).get(pair.getKey());
            List<T> carrying = values == null ? null : values.get(pair.getValue());
            if (carrying == null) {
                return List.of();
            }
            if (carrying.size() < candidates.size()) {
                candidates = carrying;
            }
        }
        return candidates;
    }
}
