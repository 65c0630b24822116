"""The Shopify Admin GraphQL schema (2026-07) from the committed introspection fixture."""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path

from graphql import GraphQLSchema, build_client_schema

API_VERSION = "2026-07"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "shopify" / f"admin_{API_VERSION}.json.gz"


@cache
def admin_schema() -> GraphQLSchema:
    """Build the schema once per process; it takes about half a second."""
    with gzip.open(SCHEMA_PATH, "rb") as compressed:
        introspection = json.load(compressed)
    # Shopify deprecates a few implementations of non-deprecated interface fields (Node.id on three
    # types, HasMetafields.metafield(s) on MediaImage...), which graphql-core 3.3 rejects as an invalid
    # schema. It is the schema Shopify serves, so take it as it is.
    return build_client_schema(introspection["data"], assume_valid=True)
