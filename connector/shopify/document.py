"""One GraphQL operation Assay sends to Shopify's Admin API, and the API version every one of them targets."""

from __future__ import annotations

from dataclasses import dataclass

API_VERSION = "2026-07"


@dataclass(frozen=True)
class Document:
    """A named GraphQL operation and its source text."""

    operation_name: str
    source: str
    # A write that sets rather than adds (tagsAdd, a whole note): sending it twice leaves the same result.
    repeatable: bool = False

    @property
    def safe_to_resend(self) -> bool:
        """Resending after a lost answer changes nothing: a read, a repeatable write, or one with @idempotent."""
        return self.repeatable or not self.source.lstrip().startswith("mutation") or "@idempotent" in self.source
