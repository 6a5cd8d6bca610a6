"""The Blink API client: GraphQL over HTTP (``BlinkHttp``) and WebSocket (``BlinkSocket``)."""

from . import documents
from .answers import DEFAULT_RETRY_AFTER
from .http import DEFAULT_MAX_ANSWER, BlinkHttp, parse_retry_after
from .invoice import DecodedInvoice, decode_invoice
from .models import (
    Account,
    BlinkErrorInfo,
    Currency,
    Invoice,
    InvoiceStatus,
    PaymentOutcome,
    PaymentStatus,
    Price,
    Wallet,
    WalletInvoice,
)
from .reconnect import (
    CloseVerdict,
    ConnectionBudget,
    Disposition,
    backoff,
    classify_close,
    delay_after,
)
from .socket import DEFAULT_MAX_MESSAGE, BlinkSocket, Subscription
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
    "DEFAULT_MAX_ANSWER",
    "DEFAULT_MAX_MESSAGE",
    "DEFAULT_RETRY_AFTER",
    "Account",
    "BlinkErrorInfo",
    "BlinkHttp",
    "BlinkSocket",
    "CloseVerdict",
    "ConnectionBudget",
    "Currency",
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
    "WalletInvoice",
    "backoff",
    "classify_close",
    "decode_invoice",
    "delay_after",
    "documents",
    "parse_invoice_status",
    "parse_my_update",
    "parse_retry_after",
]
