"""CI only (tests/run): a sale the running terminal forwards, made and journaled the way the
terminal makes one, then paid by the sandbox's customer. The test container has no keypad.

Run as the service user with the terminal's venv; the BlinkPOS key arrives on stdin (never in
argv or the environment). Prints the sale id. The terminal sees the payment on its BlinkPOS
socket, journals it paid and forwards it (or keeps retrying while the sandbox fails pay calls).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import urllib.request

from terminal.blink.http import BlinkHttp
from terminal.money.journal import Journal
from terminal.money.sale import InvoiceRef
from terminal.secret import Secret

SANDBOX = "http://127.0.0.1:4455"
STATE_DIR = "/var/lib/blink-terminal"
AMOUNT = 2100


def control(path: str, body: dict[str, object] | None = None) -> dict[str, object]:
    """GET (or POST ``body`` to) the sandbox's control endpoint."""
    data = None if body is None else json.dumps(body).encode()
    url = f"{SANDBOX}/control/{path}"  # loopback only: the sandbox in the container
    with urllib.request.urlopen(url, data, timeout=10) as answer:  # noqa: S310
        result: dict[str, object] = json.load(answer)
    return result


async def main() -> None:
    """Journal a sale and both invoices, then have the customer pay the POS invoice."""
    key = Secret("BlinkPOS", sys.stdin.read().strip())
    accounts = control("accounts")
    pos_wallet = accounts["blinkpos"]["BTC"]  # type: ignore[index]
    merchant_wallet = accounts["merchant"]["BTC"]  # type: ignore[index]
    journal = Journal.open(STATE_DIR)
    sale = journal.begin_sale(AMOUNT, "ci: a forward still pending", time.time())
    http = BlinkHttp(f"{SANDBOX}/graphql", key)
    try:
        pos = await http.create_invoice(
            pos_wallet, AMOUNT, memo=sale.memo, expires_in_minutes=15, external_id=sale.id
        )
        merchant = await http.create_invoice_on_behalf(
            merchant_wallet, AMOUNT, memo=sale.memo, expires_in_minutes=24 * 60, external_id=sale.id
        )
    finally:
        await http.aclose()
    journal.record_invoices(
        sale.id,
        InvoiceRef(pos.payment_request, pos.payment_hash, pos.expires_at),
        InvoiceRef(merchant.payment_request, merchant.payment_hash, merchant.expires_at),
        time.time(),
    )
    journal.close()
    paid = control("pay", {"paymentRequest": pos.payment_request})
    if paid.get("status") != "SUCCESS":
        sys.exit(f"the customer's payment failed: {paid}")
    print(sale.id)


if __name__ == "__main__":
    asyncio.run(main())
