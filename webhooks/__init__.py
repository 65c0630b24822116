"""The Flask app: factory, webhook intake, health and the `assay` CLI."""
