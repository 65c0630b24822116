"""The platforms: Shopify and WooCommerce payloads in, decisions written back out."""
