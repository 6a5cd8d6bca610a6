"""Every GraphQL document the terminal sends to Blink, as named operations.

Shapes follow ``/work/shared/blink/API-NOTES.md`` §4: unions select ``__typename`` (otherwise a
price tick arrives as ``"update": {}``), invoices select ``externalId`` (the sale id, our
idempotency key), and status queries and subscriptions differ (the query has no ``errors``).
Each selects only what a parser in this package reads, and no field Blink marks deprecated
(a payment's hash comes from ``transaction.initiationVia``, not ``LnUpdate.paymentHash``).
A test validates each against Blink's real schema and refuses deprecated fields.
"""

from __future__ import annotations

ME = """
query Me {
  me {
    id
    defaultAccount {
      defaultWallet { id }
      wallets { id walletCurrency balance }
    }
  }
}
"""

SCOPES = """
query Scopes {
  authorization { scopes }
}
"""

DEFAULT_WALLET = """
query DefaultWallet($username: Username!, $walletCurrency: WalletCurrency) {
  accountDefaultWallet(username: $username, walletCurrency: $walletCurrency) {
    id
    currency
  }
}
"""

LN_INVOICE_CREATE = """
mutation LnInvoiceCreate($input: LnInvoiceCreateInput!) {
  lnInvoiceCreate(input: $input) {
    invoice { paymentRequest paymentHash satoshis externalId }
    errors { message code }
  }
}
"""

LN_INVOICE_CREATE_ON_BEHALF = """
mutation LnInvoiceCreateOnBehalfOfRecipient($input: LnInvoiceCreateOnBehalfOfRecipientInput!) {
  lnInvoiceCreateOnBehalfOfRecipient(input: $input) {
    invoice { paymentRequest paymentHash satoshis externalId }
    errors { message code }
  }
}
"""

# The transaction is not selected: the forwarder reads only the status, then asks the merchant
# invoice's status whenever that is not SUCCESS or ALREADY_PAID.
LN_INVOICE_PAYMENT_SEND = """
mutation LnInvoicePaymentSend($input: LnInvoicePaymentInput!) {
  lnInvoicePaymentSend(input: $input) {
    status
    errors { message code }
  }
}
"""

INVOICE_STATUS_BY_HASH = """
query InvoiceStatusByHash($input: LnInvoicePaymentStatusByHashInput!) {
  lnInvoicePaymentStatusByHash(input: $input) {
    status
  }
}
"""

INVOICE_STATUS_BY_HASH_SUBSCRIPTION = """
subscription InvoiceStatusByHashUpdates($input: LnInvoicePaymentStatusByHashInput!) {
  lnInvoicePaymentStatusByHash(input: $input) {
    errors { message code }
    status
    paymentHash
  }
}
"""

# Needs READ: the per-wallet view says what the wallet's invoice is for (satoshis), which the
# public status query does not.
INVOICE_BY_HASH = """
query InvoiceByHash($walletId: WalletId!, $paymentHash: PaymentHash!) {
  me {
    defaultAccount {
      walletById(walletId: $walletId) {
        invoiceByPaymentHash(paymentHash: $paymentHash) {
          paymentHash
          paymentStatus
          ... on LnInvoice { satoshis }
        }
      }
    }
  }
}
"""

MY_UPDATES = """
subscription MyUpdates {
  myUpdates {
    errors { message code }
    update {
      __typename
      ... on LnUpdate {
        status
        transaction {
          direction
          externalId
          settlementAmount
          settlementCurrency
          initiationVia { ... on InitiationViaLn { paymentHash } }
        }
      }
      ... on RealtimePrice {
        timestamp
        denominatorCurrencyDetails { id fractionDigits }
        btcSatPrice { base offset }
      }
      ... on Price { base offset currencyUnit }
    }
  }
}
"""

CURRENCY_LIST = """
query CurrencyList {
  currencyList { id symbol name fractionDigits }
}
"""

REALTIME_PRICE = """
query RealtimePrice($currency: DisplayCurrency) {
  realtimePrice(currency: $currency) {
    id
    timestamp
    denominatorCurrencyDetails { id symbol fractionDigits }
    btcSatPrice { base offset }
  }
}
"""

GLOBALS = """
query Globals {
  globals { network nodesIds }
}
"""

REALTIME_PRICE_SUBSCRIPTION = """
subscription RealtimePriceUpdates($input: RealtimePriceInput!) {
  realtimePrice(input: $input) {
    errors { message }
    realtimePrice {
      timestamp
      denominatorCurrencyDetails { id fractionDigits }
      btcSatPrice { base offset }
    }
  }
}
"""
