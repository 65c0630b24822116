"""What the rest of Assay calls to read and write storage; every function takes the caller's Session.

Functions flush but never commit: the caller owns the transaction (`with storage.transaction() as session:`).
"""

from storage.repositories.cases import (
    add_case,
    close_cases,
    find_case,
    get_case,
    latest_decision,
    list_cases,
    reopen_closed_cases,
    save_decision,
    set_case_status,
)
from storage.repositories.inbox import find_event, mark_event, record_event, safe_headers
from storage.repositories.installs import NonceRefused, begin_woocommerce_install, consume_install_nonce
from storage.repositories.orders import (
    StatusChange,
    advance_platform_status,
    find_order_snapshot,
    record_delivery,
    save_order_snapshot,
    update_order_progress,
)
from storage.repositories.outbox import (
    claim_action,
    claim_next_action,
    complete_action,
    enqueue_action,
    fail_action,
    find_action,
    list_actions,
)
from storage.repositories.policy_versions import (
    InvalidPolicy,
    current_policy_version,
    find_policy_version,
    load_current_policy,
    policy_history,
    set_policy,
)
from storage.repositories.store_input import InvalidStore
from storage.repositories.stores import (
    StoreCredentials,
    add_shopify_store,
    add_woocommerce_store,
    find_store,
    find_stores_by_domain,
    list_stores,
    mark_store_uninstalled,
    rotate_store_secrets,
    set_store_credentials,
    store_credentials,
)

__all__ = [
    "StatusChange",
    "advance_platform_status",
    "close_cases",
    "reopen_closed_cases",
    "find_order_snapshot",
    "record_delivery",
    "save_order_snapshot",
    "update_order_progress",
    "InvalidPolicy",
    "InvalidStore",
    "NonceRefused",
    "begin_woocommerce_install",
    "consume_install_nonce",
    "StoreCredentials",
    "add_case",
    "add_shopify_store",
    "add_woocommerce_store",
    "claim_action",
    "claim_next_action",
    "complete_action",
    "current_policy_version",
    "enqueue_action",
    "fail_action",
    "find_action",
    "find_case",
    "find_event",
    "find_policy_version",
    "find_store",
    "find_stores_by_domain",
    "get_case",
    "latest_decision",
    "list_actions",
    "list_cases",
    "list_stores",
    "load_current_policy",
    "mark_event",
    "mark_store_uninstalled",
    "policy_history",
    "record_event",
    "rotate_store_secrets",
    "safe_headers",
    "save_decision",
    "set_case_status",
    "set_policy",
    "set_store_credentials",
    "store_credentials",
]
