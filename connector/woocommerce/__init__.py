"""WooCommerce: webhooks, the REST API, storefront forms and the wc-auth install; `ADAPTER` is what the rest of
Assay uses."""

from connector.woocommerce.adapter import ADAPTER as ADAPTER
