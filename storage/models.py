"""The tables: stores and their versioned policies, the webhook inbox, cases, decisions and the action outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.columns import Document, Id, UTCDateTime, metadata, utc_now


class Platform(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"


class StoreStatus(StrEnum):
    ACTIVE = "active"
    UNINSTALLED = "uninstalled"
    PENDING = "pending"  # an install was started and the platform has not yet handed over its keys


class EventStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


class CaseStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    CLOSED = "closed"
    SET_ASIDE = "set_aside"  # no decision can be made of its document: a person must look (CaseRecord.errors)


class ActionState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def one_of(column: str, values: type[StrEnum], name: str | None = None) -> CheckConstraint:
    """A CHECK that keeps a status column inside its enum, on both databases."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name or column)


class Base(DeclarativeBase):
    metadata = metadata


class Store(Base):
    """A merchant's shop; its credentials are Fernet tokens, never plain text (see storage.secrets)."""

    __tablename__ = "stores"
    __table_args__ = (
        UniqueConstraint("platform", "domain"),
        one_of("platform", Platform),
        one_of("status", StoreStatus),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    # Shopify: the permanent *.myshopify.com domain. WooCommerce: the site's host (and path, if not at the root).
    domain: Mapped[str] = mapped_column(String(255))
    # Where the platform API lives when it is not derived from the domain (WooCommerce sites; a Shopify shop is
    # always reached at its own domain).
    api_base_url: Mapped[str | None] = mapped_column(String(500))
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    # Shopify's expiring offline token (token exchange): when it and its refresh token stop working. Both null
    # for a non-expiring token (`assay stores add`), which never needs refreshing.
    access_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    currency: Mapped[str | None] = mapped_column(String(3))
    consumer_key_encrypted: Mapped[str | None] = mapped_column(Text)
    consumer_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    webhook_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # The store's calendar (contract.md "store"): read from the platform, needed before any case is decided.
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=StoreStatus.ACTIVE.value)
    # WooCommerce: which order statuses are requests and which the decisions set; null means the defaults.
    status_mapping: Mapped[dict[str, Any] | None] = mapped_column(Document)
    # The catch-up's watermark: when WooCommerce's poll last listed the store's changed orders, or up to when the
    # Shopify reconciliation has read the store's updated orders.
    polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why the last catch-up poll of this store failed (its data, its site), or null when it went through.
    poll_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)

    def __repr__(self) -> str:
        return f"<Store {self.id} {self.platform} {self.domain} {self.status}>"


class PolicyVersion(Base):
    """Every policy a store ever saved; the highest version is the current one, older ones explain old decisions."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("store_id", "version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(Document)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    @property
    def label(self) -> str:
        """The label decisions carry, such as 'kestia@3'."""
        return f"{self.document['key']}@{self.version}"


class Event(Base):
    """The webhook inbox: one row per platform delivery, so a redelivered webhook is recognised and not redone."""

    __tablename__ = "events"
    __table_args__ = (
        # Per shop: two sites may send the same delivery id (WooCommerce makes it from a webhook id and a second).
        UniqueConstraint("platform", "shop_domain", "delivery_id"),
        one_of("platform", Platform),
        one_of("status", EventStatus),
        Index(None, "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(255))
    shop_domain: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(Document)
    headers: Mapped[dict[str, Any]] = mapped_column(Document)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.RECEIVED.value)
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Handling that failed for a passing reason is tried again, boundedly; the relay waits for next_attempt_at.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # see jobs/relay.py: who goes first


# The cases waiting in the review queue: decided, and the decision in force asks a person to look.
REVIEW_QUEUE = "status = 'decided' AND outcome = 'review'"


class CaseRecord(Base):
    """A customer's request as a case document; the request key makes recording it twice a no-op."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("store_id", "request_key"),
        one_of("status", CaseStatus),
        Index(None, "store_id", "order_id"),
        Index(None, "status", "created_at"),
        # The admin's screens (storage/repositories/admin_queries.py): the decision log newest first by id (its
        # cursor), alone or by outcome; the weekly summary by when the decision in force was made; the review
        # queue — decided cases whose decision in force is `review`, due first first — a partial index of those.
        Index(None, "store_id", "id"),
        Index(None, "store_id", "outcome", "id"),
        Index(None, "store_id", "decided_at", "outcome"),
        Index("ix_cases_review_queue", "store_id", "respond_by", "id",
              postgresql_where=text(REVIEW_QUEUE), sqlite_where=text(REVIEW_QUEUE)),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    # The platform's return id, or 'event:<id>' for requests that have no id of their own.
    request_key: Mapped[str] = mapped_column(String(255))
    document: Mapped[dict[str, Any]] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # The decision in force (the newest), copied here by save_decision so the admin's lists read one table:
    # its outcome, when it was made, and the first answer it promised (`respond_by`, reviews only).
    outcome: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    respond_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set aside (CaseStatus.SET_ASIDE): why no decision could be made, each field and the rule it broke, and when.
    errors: Mapped[list[str] | None] = mapped_column(Document)
    set_aside_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the relay last handed the case out again (jobs/relay.py): the least recently handed out go first.
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DecisionRecord(Base):
    """A decision as the engine returned it, with the policy version that made it."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint("outcome IN ('approve', 'decline', 'review')", name="outcome"),
        Index(None, "case_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    policy_version: Mapped[str] = mapped_column(String(100))
    document: Mapped[dict[str, Any]] = mapped_column(Document)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    # A person's decision on a review (the engine's have neither): who made it, and why.
    decided_by: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)


class Action(Base):
    """The outbox: one platform write a decision needs, done at most once per idempotency key."""

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        one_of("state", ActionState),
        Index(None, "state", "id"),
        Index(None, "case_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))  # e.g. 'shopify.order_cancel'
    payload: Mapped[dict[str, Any]] = mapped_column(Document)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default=ActionState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(Document)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A write that failed for a passing reason waits until then (backoff with jitter, or the platform's word).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # see jobs/relay.py: who goes first


class OrderSnapshot(Base):
    """An order as it was bought (prices, compare-at prices, properties), and where it has got to since."""

    __tablename__ = "order_snapshots"
    __table_args__ = (UniqueConstraint("store_id", "order_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[str | None] = mapped_column(String(255))
    document: Mapped[dict[str, Any]] = mapped_column(Document)  # the contract's "order" document
    # The order's own status on the platform (WooCommerce) and when it was last changed, as last seen: a
    # request is opened when the status *moves* into a request status, and an older report never wins.
    platform_status: Mapped[str | None] = mapped_column(String(64))
    platform_modified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)


class InstallNonce(Base):
    """One started install: the single-use nonce the platform hands back, kept as a SHA-256 digest only."""

    __tablename__ = "install_nonces"
    __table_args__ = (UniqueConstraint("nonce_hash"), Index(None, "expires_at"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    nonce_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The keys its callback brought, until the site has accepted them (anyone holding the callback URL
    # could post keys: they replace a store's own only once they are proven to work on its site).
    consumer_key_encrypted: Mapped[str | None] = mapped_column(Text)
    consumer_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # base64url(SHA-256(verifier)) of the Assay plugin that started the install, if it did: its secret is opened
    # for that plugin only once the keys are proven, and delivered to the site alone.
    plugin_challenge: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class DeliveryDigest(Base):
    """A delivery's topic and body digest, so the same body resent under a new delivery id within the platform's retry
    horizon is a duplicate — per signer: two stores' own bodies may be byte for byte the same and both count."""

    __tablename__ = "delivery_digests"
    __table_args__ = (UniqueConstraint("platform", "signer", "topic", "digest"), Index(None, "seen_at"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    # The store whose own secret signed the body (its domain), or '' for a secret the platform signs every
    # store's deliveries with (Shopify's app secret): such a body proves no store, so it is one body for all.
    signer: Mapped[str] = mapped_column(String(255), default="", server_default="")
    topic: Mapped[str] = mapped_column(String(255))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the raw body, hex
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class PrivacyExport(Base):
    """What Assay holds on one customer, written for a platform's data request; encrypted, for the merchant."""

    __tablename__ = "privacy_exports"
    __table_args__ = (Index(None, "store_id", "created_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    customer_id: Mapped[str | None] = mapped_column(String(255))  # the platform's customer id (not contact data)
    document_encrypted: Mapped[str] = mapped_column(Text)  # Fernet token of the export's JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class LoginLink(Base):
    """A single-use, expiring sign-in link to the admin for a store without an embedding platform (WooCommerce)."""

    __tablename__ = "login_links"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the link's secret; the secret is never kept
    person: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class AdminSession(Base):
    """A signed-in merchant's session (a login link spent): the cookie's and the CSRF token's digests only."""

    __tablename__ = "admin_sessions"
    __table_args__ = (UniqueConstraint("session_hash"), Index(None, "expires_at"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    session_hash: Mapped[str] = mapped_column(String(64))
    csrf_hash: Mapped[str] = mapped_column(String(64))
    person: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class PluginLink(Base):
    """One connect of the Assay for WooCommerce plugin: the secret it signs with (a Fernet token), opened once the site
    proved the install's keys, and the challenge only the plugin that started the connect can answer."""

    __tablename__ = "plugin_links"
    __table_args__ = (Index(None, "store_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    challenge: Mapped[str] = mapped_column(String(64))  # base64url(SHA-256(the plugin's verifier))
    secret_encrypted: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # for delivering; a delivered one lasts until replaced
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class PluginRequestNonce(Base):
    """A signed plugin request's nonce, kept for the timestamp window so the same request can't be sent twice."""

    __tablename__ = "plugin_request_nonces"
    __table_args__ = (UniqueConstraint("store_id", "nonce"), Index(None, "seen_at"))

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
