"""The Blink API client: GraphQL over HTTP (``BlinkHttp``) and WebSocket (``BlinkSocket``)."""

from . import documents
from .answers import DEFAULT_RETRY_AFTER
from .http import BlinkHttp, parse_retry_after
from .invoice import DecodedInvoice, decode_invoice
from .models import (
    Account,
    BlinkErrorInfo,
    Invoice,
    InvoiceStatus,
    PaymentOutcome,
    PaymentStatus,
    Price,
    Wallet,
)
from .reconnect import (
    CloseVerdict,
    ConnectionBudget,
    Disposition,
    backoff,
    classify_close,
    delay_after,
)
from .socket import BlinkSocket, Subscription
from .updates import (
    InvoiceStatusUpdate,
    LnPaid,
    MyUpdate,
    OtherUpdate,
    PriceTick,
    UpdateError,
    parse_invoice_status,
    parse_my_update,
)

__all__ = [
    "DEFAULT_RETRY_AFTER",
    "Account",
    "BlinkErrorInfo",
    "BlinkHttp",
    "BlinkSocket",
    "CloseVerdict",
    "ConnectionBudget",
    "DecodedInvoice",
    "Disposition",
    "Invoice",
    "InvoiceStatus",
    "InvoiceStatusUpdate",
    "LnPaid",
    "MyUpdate",
    "OtherUpdate",
    "PaymentOutcome",
    "PaymentStatus",
    "Price",
    "PriceTick",
    "Subscription",
    "UpdateError",
    "Wallet",
    "backoff",
    "classify_close",
    "decode_invoice",
    "delay_after",
    "documents",
    "parse_invoice_status",
    "parse_my_update",
    "parse_retry_after",
]
