"""Shopify: webhooks, the Admin API and the embedded app; `adapter.ADAPTER` is what the rest of Assay uses."""
