"""Small clients for the sandbox tests: GraphQL over httpx, graphql-transport-ws over websockets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

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

    async def close(self) -> None:
        """Close the socket."""
        await self.conn.close()
