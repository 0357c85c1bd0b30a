package dev.stanch.ledger;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of a list, newest first.
 *
 * @param actions the actions on it
 * @param next the cursor of the next page ({@link ActionQuery#after(String)}); null on the last.
 *     Keyset paging: actions created after the first page was read do not shift later pages.
 */
public record ActionPage(List<Action> actions, @Nullable String next) {

    public ActionPage {
        actions = List.copyOf(actions);
    }
}
