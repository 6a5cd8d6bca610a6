"""The till's totals and words match what the journal holds, for a sale in every state."""

from __future__ import annotations

from terminal.money.journal import Journal
from terminal.money.sale import SaleState
from terminal.shell.menu import read_till
from terminal.till import SaleWord, Totals, is_late, totals_of, word_of
from tests.till.sales import every_state, opened

START = 1_700_000_000.0


def test_the_totals_count_every_state_as_the_journal_says(journal: Journal) -> None:
    made = every_state(journal, START)
    sales = journal.since(START)
    assert {s.state for s in sales} == set(SaleState)  # really one of each state, and more
    totals = totals_of(sales)
    assert totals == Totals(
        sales=len(made.ids),
        paid=made.paid,
        forwarded_sats=made.forwarded_sats,
        pending_sats=made.pending_sats,
    )
    # The same sums straight from the states, as a second opinion.
    assert totals.forwarded_sats == sum(
        s.amount_sats for s in sales if s.state is SaleState.FORWARDED
    )
    assert totals.pending_sats == sum(s.amount_sats for s in sales if s.state is SaleState.RECEIVED)


def test_each_sale_has_the_merchants_word_for_its_state(journal: Journal) -> None:
    made = every_state(journal, START)
    words = {
        name: word_of(journal.sale(sale_id), journal.attempts(sale_id))
        for name, sale_id in made.ids.items()
    }
    assert words == {
        "new": SaleWord.NO_INVOICE,
        "failed": SaleWord.NO_INVOICE,
        "open": SaleWord.OPEN,
        "cancelled": SaleWord.CANCELLED,
        "lapsed": SaleWord.UNPAID,
        "pending": SaleWord.PENDING,
        "failing": SaleWord.FAILING,
        "forwarded": SaleWord.FORWARDED,
        "late": SaleWord.FORWARDED,
    }
    late = {name for name, sale_id in made.ids.items() if is_late(journal.sale(sale_id))}
    assert late == {"late"}


def test_no_sales_add_up_to_nothing() -> None:
    assert totals_of([]) == Totals()


def test_the_menu_reads_todays_totals_the_sats_in_flight_and_the_last_sales(
    journal: Journal,
) -> None:
    opened(journal, 40, 777, START - 3600)  # yesterday's open sale: in the list, not the totals
    made = every_state(journal, START)
    summary = read_till(journal, midnight=START)
    assert summary.today == totals_of(journal.since(START))
    assert summary.today.paid == made.paid
    assert (summary.in_flight_sats, summary.in_flight, summary.failing) == (2_600, 2, 1)
    assert len(summary.recent) == len(made.ids) + 1
    newest = summary.recent[0]
    assert (newest.amount_sats, newest.word, newest.late) == (4_000, SaleWord.FORWARDED, True)
    words = [line.word for line in summary.recent]
    assert words.count(SaleWord.FAILING) == 1
    assert words.count(SaleWord.PENDING) == 1
    assert ":" in newest.time
    assert "." in summary.recent[-1].time  # the day before: its date is shown too
