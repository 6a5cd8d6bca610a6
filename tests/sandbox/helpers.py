"""Small clients for the sandbox tests: GraphQL over httpx, graphql-transport-ws over websockets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from terminal.sandbox import Sandbox
from tests.support.timing import scaled

CREATE = """
mutation LnInvoiceCreate($input: LnInvoiceCreateInput!) {
  lnInvoiceCreate(input: $input) {
    invoice { paymentRequest paymentHash paymentSecret satoshis paymentStatus externalId createdAt }
    errors { message code path }
  }
}
"""

CREATE_FOR = """
mutation ForRecipient($input: LnInvoiceCreateOnBehalfOfRecipientInput!) {
  lnInvoiceCreateOnBehalfOfRecipient(input: $input) {
    invoice { paymentRequest paymentHash satoshis externalId }
    errors { message code path }
  }
}
"""

PAY = """
mutation LnInvoicePaymentSend($input: LnInvoicePaymentInput!) {
  lnInvoicePaymentSend(input: $input) {
    status
    errors { message code path }
    transaction {
      id status direction settlementAmount settlementFee settlementCurrency createdAt memo
      initiationVia { __typename ... on InitiationViaLn { paymentHash paymentRequest } }
      settlementVia {
        __typename
        ... on SettlementViaIntraLedger { counterPartyWalletId counterPartyUsername preImage }
      }
    }
  }
}
"""

STATUS_SUB = """
subscription S($input: LnInvoicePaymentStatusByHashInput!) {
  lnInvoicePaymentStatusByHash(input: $input) {
    errors { message code path } status paymentHash paymentPreimage
  }
}
"""

MY_UPDATES = """
subscription MyUpdates {
  myUpdates {
    errors { message code path }
    update {
      __typename
      ... on LnUpdate {
        status
        transaction {
          direction memo externalId settlementAmount settlementFee status createdAt
          initiationVia { __typename ... on InitiationViaLn { paymentHash } }
          settlementVia { __typename ... on SettlementViaIntraLedger { preImage } }
        }
      }
      ... on RealtimePrice { timestamp btcSatPrice { base offset } }
    }
  }
}
"""


PROTOCOL = websockets.Subprotocol("graphql-transport-ws")


async def close_code(conn: ClientConnection) -> tuple[int | None, str]:
    """Read until the server closes ``conn``; the close code and reason it sent."""
    try:
        while True:
            await asyncio.wait_for(conn.recv(), scaled(5))
    except ConnectionClosed as closed:
        received = closed.rcvd
    return (received.code, received.reason) if received is not None else (None, "")


async def wait_until(condition: Any, limit: float = 5.0) -> None:
    """Poll ``condition()`` until it is true, within a scaled bound (never a fixed sleep)."""
    async with asyncio.timeout(scaled(limit)):
        # The sandbox's ledger and counters offer no event to await; a bounded poll does.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def control(sb: Sandbox, path: str, body: dict[str, Any] | None = None) -> Any:
    """POST (with ``body``) or GET ``/control/<path>``; the JSON answer, asserting 200."""
    async with httpx.AsyncClient(timeout=scaled(5)) as client:
        url = f"{sb.control_url}/{path}"
        answer = await (client.post(url, json=body) if body is not None else client.get(url))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def gql(
    sb: Sandbox,
    query: str,
    variables: dict[str, Any] | None = None,
    key: str | None = None,
    limit: float = 5.0,
) -> httpx.Response:
    """POST one GraphQL request to the sandbox."""
    headers = {"X-API-KEY": key} if key is not None else {}
    async with httpx.AsyncClient(timeout=scaled(limit)) as client:
        return await client.post(
            sb.http_url, json={"query": query, "variables": variables or {}}, headers=headers
        )


async def create_invoice(
    sb: Sandbox, amount: int = 2100, memo: str = "Table 4", key_name: str = "blinkpos", **extra: Any
) -> dict[str, Any]:
    """A new invoice on ``key_name``'s account BTC wallet; asserts it was made."""
    username = "blinkpos" if key_name.startswith("blinkpos") else key_name
    data = {"walletId": sb.wallet_id(username), "amount": amount, "memo": memo, **extra}
    answer = (await gql(sb, CREATE, {"input": data}, sb.keys[key_name])).json()
    payload = answer["data"]["lnInvoiceCreate"]
    assert payload["errors"] == [], payload
    invoice: dict[str, Any] = payload["invoice"]
    return invoice


def pay_variables(sb: Sandbox, payment_request: str, payer: str = "customer") -> dict[str, Any]:
    """The variables of ``lnInvoicePaymentSend`` from ``payer``'s BTC wallet."""
    return {"input": {"walletId": sb.wallet_id(payer), "paymentRequest": payment_request}}


async def pay_via_api(
    sb: Sandbox, payment_request: str, payer: str = "customer", memo: str | None = None
) -> dict[str, Any]:
    """``lnInvoicePaymentSend`` from ``payer``'s BTC wallet; the payload."""
    data: dict[str, Any] = {"walletId": sb.wallet_id(payer), "paymentRequest": payment_request}
    if memo is not None:
        data["memo"] = memo
    answer = (await gql(sb, PAY, {"input": data}, sb.keys[payer])).json()
    payload: dict[str, Any] = answer["data"]["lnInvoicePaymentSend"]
    return payload


class WsClient:
    """A graphql-transport-ws client, written against the protocol rather than any library."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn

    @classmethod
    async def open(cls, sb: Sandbox, key: str | None = None) -> WsClient:
        """Connect, init (with ``key`` if given) and wait for the ack."""
        conn = await websockets.connect(
            sb.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        )
        client = cls(conn)
        await client.send({"type": "connection_init", "payload": {"X-API-KEY": key} if key else {}})
        assert (await client.recv())["type"] == "connection_ack"
        return client

    async def send(self, message: dict[str, Any]) -> None:
        """Send one protocol message."""
        await self.conn.send(json.dumps(message))

    async def recv(self, limit: float = 5.0) -> dict[str, Any]:
        """The next protocol message, within a scaled timeout."""
        raw = await asyncio.wait_for(self.conn.recv(), scaled(limit))
        message: dict[str, Any] = json.loads(raw)
        return message

    async def subscribe(
        self, sub_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        """Start a subscription."""
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": sub_id, "type": "subscribe", "payload": payload})

    async def next_for(self, sub_id: str, limit: float = 5.0) -> dict[str, Any]:
        """The next message for ``sub_id``, skipping other subscriptions' messages."""
        while True:
            message = await self.recv(limit)
            if message.get("id") == sub_id:
                return message

    async def next_update(self, sub_id: str, typename: str, limit: float = 5.0) -> dict[str, Any]:
        """The next ``myUpdates`` update of ``typename`` on ``sub_id``."""
        while True:
            message = await self.next_for(sub_id, limit)
            update: dict[str, Any] = message["payload"]["data"]["myUpdates"]["update"]
            if update["__typename"] == typename:
                return update

    async def expect_quiet(self, sub_id: str) -> list[dict[str, Any]]:
        """Prove nothing more is queued for ``sub_id``: ping, and return what came before pong.

        One socket delivers in order, so whatever the server had already sent for ``sub_id``
        arrives ahead of the pong; the test asserts on that list.
        """
        await self.send({"type": "ping"})
        before: list[dict[str, Any]] = []
        while (message := await self.recv())["type"] != "pong":
            before.append(message)
        return [m for m in before if m.get("id") == sub_id]

    async def close(self) -> None:
        """Close the socket."""
        await self.conn.close()
