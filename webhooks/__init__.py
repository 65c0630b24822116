"""The Flask app: the factory (Assay's composition root), the webhook intake and health."""
