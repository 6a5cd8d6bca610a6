"""Every GraphQL document the terminal sends to Blink, as named operations.

Shapes follow ``/work/shared/blink/API-NOTES.md`` §4: unions select ``__typename`` (otherwise a
price tick arrives as ``"update": {}``), invoices select ``externalId`` (the sale id, our
idempotency key), and status queries and subscriptions differ (the query has no ``errors``).
A test validates each of these against Blink's real schema.
"""

from __future__ import annotations

ME = """
query Me {
  me {
    id
    username
    defaultAccount {
      id
      displayCurrency
      defaultWallet { id currency }
      wallets { id walletCurrency balance pendingIncomingBalance }
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
    invoice {
      paymentRequest
      paymentHash
      paymentSecret
      satoshis
      paymentStatus
      externalId
      createdAt
    }
    errors { message code path }
  }
}
"""

LN_INVOICE_CREATE_ON_BEHALF = """
mutation LnInvoiceCreateOnBehalfOfRecipient($input: LnInvoiceCreateOnBehalfOfRecipientInput!) {
  lnInvoiceCreateOnBehalfOfRecipient(input: $input) {
    invoice {
      paymentRequest
      paymentHash
      paymentSecret
      satoshis
      paymentStatus
      externalId
      createdAt
    }
    errors { message code path }
  }
}
"""

LN_INVOICE_PAYMENT_SEND = """
mutation LnInvoicePaymentSend($input: LnInvoicePaymentInput!) {
  lnInvoicePaymentSend(input: $input) {
    status
    errors { message code path }
    transaction {
      id
      status
      direction
      settlementAmount
      settlementFee
      settlementCurrency
      createdAt
      initiationVia {
        __typename
        ... on InitiationViaLn { paymentHash paymentRequest }
      }
      settlementVia {
        __typename
        ... on SettlementViaLn { preImage }
        ... on SettlementViaIntraLedger { counterPartyWalletId counterPartyUsername preImage }
      }
    }
  }
}
"""

INVOICE_STATUS_BY_HASH = """
query InvoiceStatusByHash($input: LnInvoicePaymentStatusByHashInput!) {
  lnInvoicePaymentStatusByHash(input: $input) {
    status
    paymentHash
    paymentRequest
    paymentPreimage
  }
}
"""

INVOICE_STATUS_BY_HASH_SUBSCRIPTION = """
subscription InvoiceStatusByHashUpdates($input: LnInvoicePaymentStatusByHashInput!) {
  lnInvoicePaymentStatusByHash(input: $input) {
    errors { message code path }
    status
    paymentHash
    paymentRequest
    paymentPreimage
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
        walletId
        transaction { ...PosTx }
      }
      ... on IntraLedgerUpdate {
        txNotificationType
        transaction { ...PosTx }
      }
      ... on OnChainUpdate {
        txNotificationType
        transaction { ...PosTx }
      }
      ... on RealtimePrice {
        timestamp
        denominatorCurrency
        btcSatPrice { base offset }
        usdCentPrice { base offset }
      }
      ... on Price { base offset currencyUnit }
    }
  }
}

fragment PosTx on Transaction {
  id
  status
  direction
  memo
  externalId
  createdAt
  settlementAmount
  settlementFee
  settlementCurrency
  initiationVia {
    __typename
    ... on InitiationViaLn { paymentHash paymentRequest }
    ... on InitiationViaIntraLedger { counterPartyWalletId counterPartyUsername }
    ... on InitiationViaOnChain { address }
  }
  settlementVia {
    __typename
    ... on SettlementViaLn { preImage }
    ... on SettlementViaIntraLedger { counterPartyWalletId counterPartyUsername preImage }
    ... on SettlementViaOnChain { transactionHash vout }
  }
}
"""

REALTIME_PRICE = """
query RealtimePrice($currency: DisplayCurrency) {
  realtimePrice(currency: $currency) {
    id
    timestamp
    denominatorCurrencyDetails { id symbol fractionDigits }
    btcSatPrice { base offset }
    usdCentPrice { base offset }
  }
}
"""

REALTIME_PRICE_SUBSCRIPTION = """
subscription RealtimePriceUpdates($input: RealtimePriceInput!) {
  realtimePrice(input: $input) {
    errors { message code path }
    realtimePrice {
      timestamp
      denominatorCurrency
      btcSatPrice { base offset }
      usdCentPrice { base offset }
    }
  }
}
"""
