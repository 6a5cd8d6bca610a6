"""The journal's pure state rules: every (state, target) pair, and the invariants they keep."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.errors import IllegalTransition
from terminal.money.sale import (
    SALE_ID_PATTERN,
    Change,
    SaleState,
    change,
    new_sale_id,
    new_terminal_id,
    require_change,
)

S = SaleState
ALL_PAIRS = list(itertools.product(SaleState, SaleState))


def _moves() -> dict[SaleState, set[SaleState]]:
    graph: dict[SaleState, set[SaleState]] = {s: set() for s in SaleState}
    for current, target in ALL_PAIRS:
        if change(current, target) is Change.MOVE:
            graph[current].add(target)
    return graph


def _reachable(start: SaleState, graph: dict[SaleState, set[SaleState]]) -> set[SaleState]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in graph[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_require_change_agrees_with_the_table_for_every_pair(
    current: SaleState, target: SaleState
) -> None:
    verdict = change(current, target)
    if verdict is Change.ILLEGAL:
        with pytest.raises(IllegalTransition) as info:
            require_change(current, target, "mark_x")
        assert info.value.state == current.value
        assert info.value.event == "mark_x"
    else:
        assert require_change(current, target, "mark_x") is (verdict is Change.MOVE)


@pytest.mark.parametrize("state", list(SaleState))
def test_repeating_a_mark_is_a_no_op(state: SaleState) -> None:
    assert change(state, state) is Change.NO_OP


def test_a_paid_sale_only_ever_moves_to_forwarded() -> None:
    assert _moves()[S.RECEIVED] == {S.FORWARDED}
    for target in (S.NEW, S.OPEN, S.FAILED):
        assert change(S.RECEIVED, target) is Change.ILLEGAL


def test_late_payments_move_cancelled_and_expired_sales_to_paid() -> None:
    assert change(S.CANCELLED, S.RECEIVED) is Change.MOVE
    assert change(S.LAPSED, S.RECEIVED) is Change.MOVE


def test_blink_saying_expired_settles_a_cancelled_sale() -> None:
    assert change(S.CANCELLED, S.LAPSED) is Change.MOVE
    assert change(S.LAPSED, S.CANCELLED) is Change.NO_OP


def test_screen_marks_after_a_payment_change_nothing() -> None:
    for paid_state, screen_mark in itertools.product(
        (S.RECEIVED, S.FORWARDED), (S.CANCELLED, S.LAPSED)
    ):
        assert change(paid_state, screen_mark) is Change.NO_OP


def test_forwarded_and_failed_are_final() -> None:
    graph = _moves()
    assert graph[S.FORWARDED] == set()
    assert graph[S.FAILED] == set()


def test_a_sale_without_invoices_cannot_be_paid() -> None:
    assert change(S.NEW, S.RECEIVED) is Change.ILLEGAL
    assert change(S.FAILED, S.RECEIVED) is Change.ILLEGAL


def test_every_state_is_reachable_and_forwarded_only_through_paid() -> None:
    graph = _moves()
    assert _reachable(S.NEW, graph) == set(SaleState)
    without_paid: dict[SaleState, set[SaleState]] = {
        s: set() if s is S.RECEIVED else targets - {S.RECEIVED} for s, targets in graph.items()
    }
    assert S.FORWARDED not in _reachable(S.NEW, without_paid)


def test_a_payment_still_moves_an_open_cancelled_or_expired_sale() -> None:
    # A customer may pay after CANCEL or after the QR expired: the money must still be recorded.
    assert {s for s in SaleState if change(s, S.RECEIVED) is Change.MOVE} == {
        S.OPEN,
        S.CANCELLED,
        S.LAPSED,
    }


@given(st.lists(st.sampled_from(list(SaleState)), max_size=30))
def test_random_mark_sequences_never_forget_a_payment(targets: list[SaleState]) -> None:
    state = S.NEW
    seen_paid = False
    for target in targets:
        try:
            if require_change(state, target, "mark"):
                state = target
        except IllegalTransition:
            pass
        seen_paid = seen_paid or state is S.RECEIVED
        if seen_paid:
            assert state in (S.RECEIVED, S.FORWARDED)
        if state is S.FORWARDED:
            assert seen_paid


def test_sale_ids_fit_blinks_external_id_rule_and_differ() -> None:
    terminal_id = new_terminal_id()
    ids = {new_sale_id(terminal_id, 1_800_000_000.0) for _ in range(500)}
    assert len(ids) == 500
    for sale_id in ids:
        assert SALE_ID_PATTERN.match(sale_id)
        assert sale_id.startswith(terminal_id + "-")


def test_sale_ids_of_two_terminals_never_collide() -> None:
    a, b = new_terminal_id(), new_terminal_id()
    assert a != b
    now = 1_800_000_000.0
    assert not {new_sale_id(a, now) for _ in range(50)} & {new_sale_id(b, now) for _ in range(50)}


def test_a_terminal_id_that_would_break_the_id_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="terminal id"):
        new_sale_id("Shop-1!", 0.0)
