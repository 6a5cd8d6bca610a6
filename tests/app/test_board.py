"""The link board: how the BlinkPOS link's halves and the wallets combine, and what is logged."""

from __future__ import annotations

import pytest

from terminal.links import LinkState
from terminal.shell.board import LinkBoard, Links, combine


@pytest.mark.parametrize(
    ("socket", "http_ok", "rejected", "expected"),
    [
        (LinkState.UP, None, False, LinkState.UP),
        (LinkState.UP, False, False, LinkState.UP),
        (LinkState.DOWN, True, False, LinkState.DEGRADED),
        (LinkState.DOWN, False, False, LinkState.DOWN),
        (LinkState.CONNECTING, None, False, LinkState.CONNECTING),
        # The socket's first answer decides before HTTP may stand in for it.
        (LinkState.CONNECTING, True, False, LinkState.CONNECTING),
        (LinkState.FAULT, True, False, LinkState.FAULT),
        (LinkState.FAULT, False, True, LinkState.REJECTED),
        (LinkState.REJECTED, True, False, LinkState.REJECTED),
        (LinkState.UP, False, True, LinkState.REJECTED),
    ],
)
def test_link_state_combines_socket_and_http(
    socket: LinkState, http_ok: bool | None, rejected: bool, expected: LinkState
) -> None:
    assert combine(socket, http_ok, rejected) is expected


def board_with_wallets(seen: list[Links]) -> LinkBoard:
    board = LinkBoard(seen.append, merchant=False)
    board.wallets_found()
    seen.clear()
    return board


def test_the_board_reports_each_change_once() -> None:
    seen: list[Links] = []
    board = board_with_wallets(seen)
    board.pos_socket(LinkState.UP, "connected")
    board.pos_http_answered()  # still UP: no news
    board.pos_socket(LinkState.DOWN, "dropped")  # HTTP answered earlier: degraded
    board.pos_http_failed("timeout")
    board.pos_http_failed("timeout again")  # still DOWN for the same reason: no news
    board.pos_socket(LinkState.UP, "back")
    assert [links.pos for links in seen] == [
        LinkState.UP,
        LinkState.DEGRADED,
        LinkState.DOWN,
        LinkState.UP,
    ]


def test_no_sale_may_start_before_the_wallets_are_known() -> None:
    seen: list[Links] = []
    board = LinkBoard(seen.append, merchant=True)
    board.pos_socket(LinkState.UP, "connected")
    assert board.links.pos is LinkState.CONNECTING  # detection works, the wallets are unknown
    board.wallets_missing("Blink knows no merchant 'x': fix merchant.username")
    assert board.links.pos is LinkState.CONNECTING
    assert "merchant.username" in board.links.pos_reason  # what the operator must fix
    board.wallets_found()
    assert board.links.pos is LinkState.UP
    # Nothing was dropped on the way: every change reached the listener, in order.
    assert [links.pos for links in seen][-1] is LinkState.UP
    assert seen[-1].merchant is LinkState.CONNECTING


def test_the_merchant_link_is_reported_beside_the_blinkpos_link() -> None:
    seen: list[Links] = []
    board = board_with_wallets(seen)
    board.merchant_socket(LinkState.REJECTED, "merchant key refused")
    assert seen[-1].merchant is LinkState.REJECTED
    assert seen[-1].merchant_reason == "merchant key refused"


def test_unreachable_and_reachable_again_are_logged_once_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    board = board_with_wallets([])
    board.pos_socket(LinkState.UP, "connected")
    with caplog.at_level("INFO", logger="terminal.shell.board"):
        board.pos_socket(LinkState.DOWN, "dropped")
        for _ in range(5):  # every retry fails the same way while the network is out
            board.pos_http_failed("connection refused")
            board.pos_socket(LinkState.DOWN, "still down")
        board.pos_socket(LinkState.UP, "back")
    lines = [r.getMessage() for r in caplog.records]
    assert sum("unreachable" in line for line in lines) == 1
    assert sum("reachable again" in line for line in lines) == 1


def test_a_stall_booting_offline_is_told_it_waits_for_the_network_and_the_clock() -> None:
    seen: list[Links] = []
    board = LinkBoard(seen.append, merchant=False)
    board.clock(False)
    board.pos_socket(LinkState.DOWN, "cannot reach Blink (did not receive a valid HTTP response)")
    board.pos_http_failed("cannot reach Blink to read the account (ConnectError)")
    assert board.links.pos is LinkState.DOWN
    assert board.links.pos_reason.startswith("No network")
    assert "waiting for the clock" in board.links.pos_reason
    # Another retry failing another way is no news: the screen is not redrawn for it.
    count = len(seen)
    board.pos_socket(LinkState.DOWN, "cannot reach Blink (ConnectionRefusedError)")
    assert len(seen) == count
    # The hotspot comes up: only the clock is missing now.
    board.pos_socket(LinkState.UP, "connected")
    board.pos_http_answered()
    board.wallets_found()
    assert board.links.pos is LinkState.CONNECTING
    assert board.links.pos_reason.startswith("Waiting for the clock")
    assert "network" not in board.links.pos_reason
    board.clock(True)
    assert board.links.pos is LinkState.UP


def test_with_the_clock_right_an_offline_stall_says_no_network_only() -> None:
    board = board_with_wallets([])
    board.pos_socket(LinkState.DOWN, "dropped")
    board.pos_http_failed("cannot reach Blink to read the account (ConnectError)")
    assert board.links.pos_reason == "No network: Blink cannot be reached"


def test_a_shutdown_stops_new_sales_until_it_is_called_off() -> None:
    seen: list[Links] = []
    board = board_with_wallets(seen)
    board.pos_socket(LinkState.UP, "connected")
    board.sales_stopped("Battery nearly empty: shutting down, no new sales")
    board.pos_http_answered()  # detection still works: the stop holds all the same
    board.sales_stopped(None)  # a charger: sales may start again
    assert [(links.pos, links.pos_reason) for links in seen] == [
        (LinkState.UP, "connected"),
        (LinkState.CONNECTING, "Battery nearly empty: shutting down, no new sales"),
        (LinkState.UP, "sales may start again"),
    ]
