package dev.stanch.ledger;

import dev.stanch.playbook.ActionKind;
import java.time.Instant;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Which actions to list, newest first, one page at a time. Every filter is optional; they combine
 * with "and".
 *
 * @param statuses any of these statuses; empty for all
 * @param kind of this kind
 * @param namespace in this namespace
 * @param playbook asked for by this playbook
 * @param createdFrom created at or after this time
 * @param createdBefore created before this time
 * @param limit at most this many per page, 1–500
 * @param after the cursor of the previous page ({@link ActionPage#next()}); null for the first
 */
public record ActionQuery(
        Set<ActionStatus> statuses,
        @Nullable ActionKind kind,
        @Nullable String namespace,
        @Nullable String playbook,
        @Nullable Instant createdFrom,
        @Nullable Instant createdBefore,
        int limit,
        @Nullable String after) {

    public static final int MAX_LIMIT = 500;

    public ActionQuery {
        statuses = Set.copyOf(statuses);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit is 1–" + MAX_LIMIT + ", not " + limit);
        }
    }

    /** Every action, {@code limit} at a time. */
    public static ActionQuery all(int limit) {
        return new ActionQuery(Set.of(), null, null, null, null, null, limit, null);
    }

    public ActionQuery withStatuses(Set<ActionStatus> statuses) {
        return new ActionQuery(statuses, kind, namespace, playbook, createdFrom, createdBefore, limit, after);
    }

    public ActionQuery withKind(@Nullable ActionKind kind) {
        return new ActionQuery(statuses, kind, namespace, playbook, createdFrom, createdBefore, limit, after);
    }

    public ActionQuery withNamespace(@Nullable String namespace) {
        return new ActionQuery(statuses, kind, namespace, playbook, createdFrom, createdBefore, limit, after);
    }

    public ActionQuery withPlaybook(@Nullable String playbook) {
        return new ActionQuery(statuses, kind, namespace, playbook, createdFrom, createdBefore, limit, after);
    }

    public ActionQuery createdBetween(@Nullable Instant from, @Nullable Instant before) {
        return new ActionQuery(statuses, kind, namespace, playbook, from, before, limit, after);
    }

    /** The next page after the one whose cursor this is. */
    public ActionQuery after(@Nullable String cursor) {
        return new ActionQuery(statuses, kind, namespace, playbook, createdFrom, createdBefore, limit, cursor);
    }
}
