"""The reconciliation's one read: a page of a shop's orders matching a search, with their returns' states."""

from __future__ import annotations

from connector.shopify.document import Document

# Sorted by UPDATED_AT, oldest first, so a run stopped early (its cost budget spent) has handled every order up to
# the last one it saw and can keep that as its watermark. Five returns per order is more than an order has in
# practice; the page size is a variable so the requested cost stays small (3 + first * 8 points).
RECENT_ORDERS = Document("RecentOrders", """
query RecentOrders($query: String!, $first: Int!, $after: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      legacyResourceId
      updatedAt
      cancelledAt
      returns(first: 5) {
        nodes { id status createdAt }
      }
    }
  }
}
""")
