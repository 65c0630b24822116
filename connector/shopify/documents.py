"""The GraphQL documents Assay sends to Shopify's Admin API (version 2026-07), one named operation each.

Every document here is validated against the 2026-07 schema by tests/unit/test_shopify_documents.py,
including a ban on deprecated fields and a ceiling on the requested query cost.
"""

from __future__ import annotations

from connector.shopify.document import API_VERSION as API_VERSION
from connector.shopify.document import Document as Document
from connector.shopify.documents_listing import RECENT_ORDERS as RECENT_ORDERS
from connector.shopify.documents_money import ORDER_PAYMENTS as ORDER_PAYMENTS
from connector.shopify.documents_money import PAYMENT_FACTS
from connector.shopify.documents_money import RETURN_PROCESS as RETURN_PROCESS
from connector.shopify.documents_money import RETURN_TO_REFUND as RETURN_TO_REFUND

# Shop currency and the customer's (presentment) currency both come back; the case builder picks one.
_MONEY_BAG = """
fragment MoneyBagAmounts on MoneyBag {
  shopMoney { amount currencyCode }
  presentmentMoney { amount currencyCode }
}
"""

# --- Reading what a case needs ---------------------------------------------------------------------

SHOP_FACTS = Document("ShopFacts", """
query ShopFacts {
  shop {
    id
    ianaTimezone
    currencyCode
    shopAddress { countryCodeV2 }
  }
}
""")

# The variant's compareAtPrice is today's value: Shopify keeps no compare-at snapshot on the line item,
# so the case builder must snapshot it when the order arrives (orders/create) to honour the contract.
# customer.id is for the app proxy's ownership check (logged_in_customer_id must match it).
# Amounts are the shop's money only (the case's currency); asking for presentment money too would double
# the cost of every line, and 25 lines with their taxes and the payments must stay well under the limit.
ORDER_FOR_CASE = Document("OrderForCase", """
query OrderForCase($id: ID!, $lineItemsAfter: String) {
  order(id: $id) {
    id
    createdAt
    processedAt
    currencyCode
    taxesIncluded
    customer { id }
    shippingAddress { countryCodeV2 }
    shippingLines(first: 5) {
      nodes {
        originalPriceSet { shopMoney { amount } }
        discountedPriceSet { shopMoney { amount } }
        taxLines { priceSet { shopMoney { amount } } }
      }
    }
    ...OrderPaymentFacts
    lineItems(first: 25, after: $lineItemsAfter) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        title
        sku
        quantity
        currentQuantity
        unfulfilledQuantity
        nonFulfillableQuantity
        isGiftCard
        customAttributes { key value }
        originalUnitPriceSet { shopMoney { amount } }
        discountAllocations {
          allocatedAmountSet { shopMoney { amount } }
        }
        taxLines { priceSet { shopMoney { amount } } }
        variant { id compareAtPrice }
        product { productType tags }
      }
    }
    fulfillments(first: 5) {
      status
      createdAt
      deliveredAt
      events(first: 5, sortKey: HAPPENED_AT, reverse: true) {
        nodes { status happenedAt }
      }
    }
  }
}
""" + PAYMENT_FACTS)

RETURN_FOR_CASE = Document("ReturnForCase", """
query ReturnForCase($id: ID!) {
  return(id: $id) {
    id
    name
    status
    createdAt
    order { id }
    returnLineItems(first: 50) {
      nodes {
        __typename
        id
        quantity
        customerNote
        returnReasonNote
        returnReasonDefinition { handle name }
        ... on ReturnLineItem {
          fulfillmentLineItem {
            id
            quantity
            lineItem { id }
          }
        }
      }
    }
  }
}
""")

ORDER_NOTE = Document("OrderNote", """
query OrderNote($id: ID!) {
  order(id: $id) { id note }
}
""")

JOB = Document("Job", """
query Job($id: ID!) {
  job(id: $id) { id done }
}
""")

# --- Writing decisions back ------------------------------------------------------------------------

# The whole order, refunded to the original payment methods; `refund: Boolean` is deprecated in 2026-07.
ORDER_CANCEL = Document("OrderCancel", """
mutation OrderCancel(
  $orderId: ID!
  $reason: OrderCancelReason! = CUSTOMER
  $restock: Boolean! = true
  $notifyCustomer: Boolean = true
  $staffNote: String
) {
  orderCancel(
    orderId: $orderId
    reason: $reason
    refundMethod: { originalPaymentMethodsRefund: true }
    restock: $restock
    notifyCustomer: $notifyCustomer
    staffNote: $staffNote
  ) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
""")

RETURN_APPROVE_REQUEST = Document("ReturnApproveRequest", """
mutation ReturnApproveRequest($id: ID!, $notifyCustomer: Boolean = true) {
  returnApproveRequest(input: { id: $id, notifyCustomer: $notifyCustomer }) {
    return { id status }
    userErrors { field message code }
  }
}
""")

RETURN_DECLINE_REQUEST = Document("ReturnDeclineRequest", """
mutation ReturnDeclineRequest(
  $id: ID!
  $declineReason: ReturnDeclineReason!
  $declineNote: String
  $notifyCustomer: Boolean = true
) {
  returnDeclineRequest(
    input: { id: $id, declineReason: $declineReason, declineNote: $declineNote, notifyCustomer: $notifyCustomer }
  ) {
    return { id status decline { reason note } }
    userErrors { field message code }
  }
}
""")

TAGS_ADD = Document("TagsAdd", """
mutation TagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
""", repeatable=True)

# 2026-07 has no timeline-comment mutation, so a review note goes into Order.note, which orderUpdate
# overwrites: read it with ORDER_NOTE first and append, so the customer's own checkout note survives.
ORDER_NOTE_UPDATE = Document("OrderNoteUpdate", """
mutation OrderNoteUpdate($id: ID!, $note: String!) {
  orderUpdate(input: { id: $id, note: $note }) {
    order { id note }
    userErrors { field message }
  }
}
""", repeatable=True)

# Since 2026-04 Shopify rejects refundCreate at runtime without @idempotent; the key is the action's.
REFUND_CREATE = Document("RefundCreate", """
mutation RefundCreate($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
    refund {
      id
      createdAt
      totalRefundedSet { ...MoneyBagAmounts }
    }
    userErrors { field message }
  }
}
""" + _MONEY_BAG)

ALL_DOCUMENTS: tuple[Document, ...] = (
    SHOP_FACTS,
    ORDER_FOR_CASE,
    RETURN_FOR_CASE,
    ORDER_NOTE,
    JOB,
    ORDER_CANCEL,
    RETURN_APPROVE_REQUEST,
    RETURN_DECLINE_REQUEST,
    TAGS_ADD,
    ORDER_NOTE_UPDATE,
    REFUND_CREATE,
)

# --- Confirming a write already happened (write-back retries) ----------------------------------------

# Read before writing and after a refusal: a retried action must find the cancellation that already happened.
ORDER_CANCELLATION = Document("OrderCancellation", """
query OrderCancellation($id: ID!) {
  order(id: $id) {
    id
    cancelledAt
    cancellation { staffNote }
  }
}
""")

RETURN_STATE = Document("ReturnState", """
query ReturnState($id: ID!) {
  return(id: $id) {
    id
    status
    requestApprovedAt
    decline { reason }
  }
}
""")

# Appended here rather than edited into the tuple above so concurrent additions don't collide.
ALL_DOCUMENTS = (*ALL_DOCUMENTS, ORDER_CANCELLATION, RETURN_STATE)

# The money documents (documents_money.py): an order's payments now, and refunding a return as decided.
ALL_DOCUMENTS = (*ALL_DOCUMENTS, ORDER_PAYMENTS, RETURN_TO_REFUND, RETURN_PROCESS)

# The reconciliation's listing (documents_listing.py): orders updated since a watermark, or with a return waiting.
ALL_DOCUMENTS = (*ALL_DOCUMENTS, RECENT_ORDERS)
