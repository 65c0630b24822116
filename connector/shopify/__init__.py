"""Shopify: webhooks, the Admin API, and the app proxy; `ADAPTER` is what the rest of Assay uses."""

from connector.shopify.adapter import ADAPTER as ADAPTER
