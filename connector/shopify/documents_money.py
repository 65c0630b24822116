"""The GraphQL documents about an order's money: its payments now, and refunding a return as decided.

Validated with the others (tests/unit/test_shopify_documents.py) and registered in documents.ALL_DOCUMENTS.
"""

from __future__ import annotations

from connector.shopify.document import Document

# What the customer paid, by every payment method, and what came back: the case's paid, refunded and
# gift_card_paid (schemas_payments.py).
PAYMENT_FACTS = """
fragment OrderPaymentFacts on Order {
  totalReceivedSet { shopMoney { amount } }
  totalRefundedSet { shopMoney { amount } }
  transactions(first: 20) {
    kind
    status
    gateway
    amountSet { shopMoney { amount } }
  }
}
"""

# What was paid and refunded now: read when a return is asked (the order's snapshot is as bought) and before
# a cancellation refunds what Shopify holds. Shopify counts the refunded and removed units out of
# currentQuantity; lines beyond the first 100 keep what the snapshot said.
ORDER_PAYMENTS = Document("OrderPayments", """
query OrderPayments($id: ID!) {
  order(id: $id) {
    id
    currencyCode
    ...OrderPaymentFacts
    lineItems(first: 100) {
      nodes { id quantity currentQuantity }
    }
  }
}
""" + PAYMENT_FACTS)

# What returnProcess needs and what tells a retry it already happened: each return line's order line and
# how much of it is processed, the refunds on the return, and the payments a refund goes back to (a
# refund names each parent SALE or CAPTURE and its amount in the customer's currency).
RETURN_TO_REFUND = Document("ReturnToRefund", """
query ReturnToRefund($id: ID!) {
  return(id: $id) {
    id
    status
    order {
      id
      currencyCode
      presentmentCurrencyCode
      transactions(first: 30) {
        id
        kind
        status
        gateway
        amountSet { shopMoney { amount } presentmentMoney { amount currencyCode } }
        parentTransaction { id }
      }
    }
    returnLineItems(first: 50) {
      nodes {
        id
        quantity
        processedQuantity
        ... on ReturnLineItem {
          fulfillmentLineItem { lineItem { id } }
        }
      }
    }
    refunds(first: 10) {
      nodes { id note totalRefundedSet { shopMoney { amount } } }
    }
  }
}
""")

# Shopify's way to refund a return since 2025-07 (returnRefund is deprecated, and refundCreate does not
# tie the money to the return): it confirms the return's lines and refunds exactly the amounts given per
# parent transaction. It takes no @idempotent key in 2026-07, so it is never resent after a lost answer;
# the writer reads RETURN_TO_REFUND first and again after a refusal.
RETURN_PROCESS = Document("ReturnProcess", """
mutation ReturnProcess($input: ReturnProcessInput!) {
  returnProcess(input: $input) {
    return {
      id
      status
      refunds(first: 5) {
        nodes { id totalRefundedSet { shopMoney { amount } } }
      }
    }
    userErrors { field message code }
  }
}
""")
