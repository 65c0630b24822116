"""WooCommerce: its rooms are verify, payloads, api, write_back, install, storefront and poll; `adapter.ADAPTER`
is what the rest of Assay looks up."""
