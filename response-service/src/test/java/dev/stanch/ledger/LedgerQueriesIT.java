package dev.stanch.ledger;

import static dev.stanch.ledger.LedgerFixtures.T0;
import static dev.stanch.ledger.LedgerFixtures.WEB;
import static dev.stanch.ledger.LedgerFixtures.detection;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stanch.detection.Target;
import dev.stanch.guardrail.Activity;
import dev.stanch.playbook.ActionKind;
import dev.stanch.playbook.ActionRequest;
import dev.stanch.playbook.Approval;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Listing actions: each filter, their combinations, and keyset paging, on a real PostgreSQL. */
@ExtendWith(LedgerPostgresExtension.class)
class LedgerQueriesIT {

    private static final Target API = new Target("payments", "api-0", null);

    private static Ledger ledger;
    private static MutableClock clock;
    /** name → id, in creation order (a minute apart, except the last two, created at the same time). */
    private static final Map<String, UUID> ACTIONS = new LinkedHashMap<>();

    @BeforeAll
    static void actions(LedgerPostgres postgres) {
        clock = new MutableClock(T0);
        ledger = new Ledger(postgres.newDatabase(), clock);
        ledger.storeDetection(detection("queries", T0, WEB));
        create("a", "outbound-c2", ActionKind.BLOCK_CONNECTION, WEB, ActionStatus.APPLIED);
        create("b", "outbound-c2", ActionKind.REVOKE_TOKEN, WEB, ActionStatus.PENDING_APPROVAL);
        create("c", "crypto-miner", ActionKind.QUARANTINE_POD, API, ActionStatus.PENDING_APPROVAL);
        create("d", "crypto-miner", ActionKind.QUARANTINE_POD, API, ActionStatus.REJECTED);
        create("e", "outbound-c2", ActionKind.BLOCK_CONNECTION, API, ActionStatus.BLOCKED);
        create("f", "shell-in-container", ActionKind.QUARANTINE_POD, WEB, ActionStatus.DRY_RUN);
        create("g", "outbound-c2", ActionKind.BLOCK_CONNECTION, WEB, ActionStatus.ROLLED_BACK);
        create("h", "crypto-miner", ActionKind.REVOKE_TOKEN, API, ActionStatus.APPLIED);
        create("i", "outbound-c2", ActionKind.BLOCK_CONNECTION, API, ActionStatus.PLANNED);
        create("j", "shell-in-container", ActionKind.QUARANTINE_POD, WEB, ActionStatus.PENDING_APPROVAL);
        create("k", "outbound-c2", ActionKind.REVOKE_TOKEN, WEB, ActionStatus.FAILED);
        clock.advance(Duration.ofMinutes(-1)); // k and l share their creation time: the id breaks the tie
        create("l", "crypto-miner", ActionKind.BLOCK_CONNECTION, API, ActionStatus.APPROVED);
    }

    private static void create(String name, String playbook, ActionKind kind, Target target, ActionStatus status) {
        ActionRequest request = LedgerFixtures.request(playbook, kind, target, Approval.REQUIRED, null, null, false);
        UUID id = Ledger.newActionId();
        ledger.createAction(
                new NewAction(id, "queries", request, LedgerFixtures.plan(id, request), "stanch:playbooks"));
        List<ActionStatus> path = switch (status) {
            case PLANNED -> List.of();
            // The stages need approval: approved only through pending-approval and a person's decision.
            case BLOCKED, DRY_RUN, PENDING_APPROVAL -> List.of(status);
            case APPROVED, REJECTED -> List.of(ActionStatus.PENDING_APPROVAL, status);
            case APPLIED, FAILED ->
                List.of(ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED, ActionStatus.APPLYING, status);
            case ROLLED_BACK ->
                List.of(
                        ActionStatus.PENDING_APPROVAL,
                        ActionStatus.APPROVED,
                        ActionStatus.APPLYING,
                        ActionStatus.APPLIED,
                        ActionStatus.ROLLING_BACK,
                        status);
            default -> throw new IllegalArgumentException(status.toString());
        };
        ActionStatus from = ActionStatus.PLANNED;
        for (ActionStatus to : path) {
            LedgerFixtures.move(ledger, id, from, to, "alice@example.com", "to " + to.wireName());
            from = to;
        }
        ACTIONS.put(name, id);
        clock.advance(Duration.ofMinutes(1));
    }

    @Test
    void theGuardrailsCountWhatStartedAndWhatIsActive() {
        Activity activity = ledger.activity();
        // Started: every status but planned (i), blocked (e) and dry-run (f) — rejected and rolled back too.
        assertThat(activity.startedSince(T0)).isEqualTo(9);
        assertThat(activity.startedSince(T0, "shop")).isEqualTo(5); // a b g j k
        assertThat(activity.startedSince(T0, "payments")).isEqualTo(4); // c d h l
        assertThat(activity.startedSince(T0.plus(Duration.ofMinutes(7)))).isEqualTo(4); // h j k l, the first included
        assertThat(activity.startedSince(T0.plus(Duration.ofMinutes(11)))).isZero();
        // Active: pending (b c j), approved (l), applied (a h), failed (k).
        assertThat(activity.active()).isEqualTo(7);
        assertThat(activity.pause()).isEmpty();
    }

    @Test
    void everythingNewestFirst() {
        assertThat(names(ledger.list(ActionQuery.all(100)))).isEqualTo(newestFirst("abcdefghijkl"));
    }

    @Test
    void pagesFollowEachOtherWithoutGapOrOverlap() {
        List<String> seen = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        ActionQuery query = ActionQuery.all(5);
        while (true) {
            ActionPage page = ledger.list(query);
            seen.addAll(names(page));
            sizes.add(page.actions().size());
            if (page.next() == null) {
                break;
            }
            query = query.after(page.next());
        }
        assertThat(sizes).containsExactly(5, 5, 2);
        assertThat(seen).isEqualTo(newestFirst("abcdefghijkl"));
    }

    @Test
    void pagingOneByOneCrossesActionsCreatedAtTheSameTime() {
        List<String> seen = new ArrayList<>();
        ActionQuery query = ActionQuery.all(1);
        for (ActionPage page = ledger.list(query); ; page = ledger.list(query = query.after(page.next()))) {
            seen.addAll(names(page));
            if (page.next() == null) {
                break;
            }
        }
        assertThat(seen).isEqualTo(newestFirst("abcdefghijkl"));
    }

    @Test
    void filtersSelectExactlyTheirActions() {
        ActionQuery all = ActionQuery.all(100);
        assertThat(names(ledger.list(all.withStatuses(Set.of(ActionStatus.PENDING_APPROVAL)))))
                .isEqualTo(newestFirst("bcj"));
        assertThat(names(ledger.list(all.withStatuses(Set.of(ActionStatus.APPLIED, ActionStatus.FAILED)))))
                .isEqualTo(newestFirst("ahk"));
        assertThat(names(ledger.list(all.withKind(ActionKind.QUARANTINE_POD)))).isEqualTo(newestFirst("cdfj"));
        assertThat(names(ledger.list(all.withNamespace("payments")))).isEqualTo(newestFirst("cdehil"));
        assertThat(names(ledger.list(all.withPlaybook("crypto-miner")))).isEqualTo(newestFirst("cdhl"));
        // c was created at 10:02, f at 10:05: from inclusive, before exclusive.
        assertThat(names(ledger.list(
                        all.createdBetween(T0.plus(Duration.ofMinutes(2)), T0.plus(Duration.ofMinutes(5))))))
                .isEqualTo(newestFirst("cde"));
        assertThat(names(ledger.list(all.createdBetween(T0.plus(Duration.ofMinutes(9)), null))))
                .isEqualTo(newestFirst("jkl"));
        assertThat(names(ledger.list(all.withPlaybook("nobody")))).isEmpty();
    }

    @Test
    void filtersCombineAndPageTogether() {
        ActionQuery query = ActionQuery.all(2)
                .withNamespace("shop")
                .withStatuses(Set.of(ActionStatus.APPLIED, ActionStatus.PENDING_APPROVAL, ActionStatus.ROLLED_BACK))
                .withPlaybook("outbound-c2");

        ActionPage first = ledger.list(query);
        ActionPage second = ledger.list(query.after(first.next()));

        assertThat(names(first)).isEqualTo(newestFirst("bg"));
        assertThat(names(second)).isEqualTo(List.of("a"));
        assertThat(second.next()).isNull();
    }

    /** In a database of its own, so that the late action does not show in the other tests' lists. */
    @Test
    void anActionCreatedWhilePagingDoesNotShiftLaterPages(LedgerPostgres postgres) {
        MutableClock time = new MutableClock(T0);
        Ledger own = new Ledger(postgres.newDatabase(), time);
        own.storeDetection(detection("paging", T0, WEB));
        List<UUID> created = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            created.add(own.createAction(LedgerFixtures.newAction("paging", LedgerFixtures.request()))
                    .id());
            time.advance(Duration.ofMinutes(1));
        }
        ActionQuery twoPerPage = ActionQuery.all(2);
        ActionPage first = own.list(twoPerPage);
        assertThat(first.actions()).extracting(Action::id).containsExactly(created.get(3), created.get(2));

        UUID late = own.createAction(LedgerFixtures.newAction("paging", LedgerFixtures.request()))
                .id();

        ActionPage second = own.list(twoPerPage.after(first.next()));
        assertThat(second.actions()).extracting(Action::id).containsExactly(created.get(1), created.get(0));
        assertThat(second.next()).isNull();
        assertThat(own.list(twoPerPage).actions()).extracting(Action::id).startsWith(late);
    }

    @Test
    void aCursorThatIsNotOneIsRefused() {
        assertThatThrownBy(() -> ledger.list(ActionQuery.all(5).after("not-a-cursor")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("not a cursor of this list: not-a-cursor");
        assertThatThrownBy(() -> ActionQuery.all(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ActionQuery.all(501)).isInstanceOf(IllegalArgumentException.class);
    }

    /** The named actions, newest first: reverse creation order, and between k and l the larger id first. */
    private static List<String> newestFirst(String names) {
        List<String> order = new ArrayList<>();
        for (char c : names.toCharArray()) {
            order.add(String.valueOf(c));
        }
        order.sort((x, y) -> {
            Instant createdX = created(x);
            Instant createdY = created(y);
            int byTime = createdY.compareTo(createdX);
            // PostgreSQL orders uuids by their bytes, as their lower-case text sorts (UUID.compareTo does not).
            return byTime != 0
                    ? byTime
                    : ACTIONS.get(y).toString().compareTo(ACTIONS.get(x).toString());
        });
        return order;
    }

    private static Instant created(String name) {
        int index = new ArrayList<>(ACTIONS.keySet()).indexOf(name);
        return T0.plus(Duration.ofMinutes(Math.min(index, 10)));
    }

    private static List<String> names(ActionPage page) {
        Map<UUID, String> byId = new LinkedHashMap<>();
        ACTIONS.forEach((name, id) -> byId.put(id, name));
        return page.actions().stream().map(a -> byId.getOrDefault(a.id(), "?")).toList();
    }
}
