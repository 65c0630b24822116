"""The Flask app: the factory (Assay's composition root), the webhook intake and health."""

# The largest request body (MAX_CONTENT_LENGTH): the app refuses more with 413, and so does the web server
# (webhooks/server.py) before it buffers more. One default for both, without the server importing the app.
DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024
