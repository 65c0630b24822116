"""The baseline for Assay's intake: bare Flask that checks the HMAC on the raw body and parses it with json.loads.

Served by bench/throughput.py with the same gunicorn command as Assay's (`gunicorn ... 'bare_intake:app'`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

from flask import Flask, jsonify, request

app = Flask("bare")
SECRET = os.environ.get("SHOPIFY_API_SECRET", "").encode()


@app.post("/webhooks/shopify")
def receive() -> object:
    body = request.get_data(cache=False)
    expected = base64.b64encode(hmac.new(SECRET, body, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected, request.headers.get("X-Shopify-Hmac-Sha256", "")):
        return jsonify(error="invalid_hmac"), 401
    json.loads(body)
    return jsonify(status="accepted"), 200
