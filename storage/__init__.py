"""Persistence: stores, credentials, versioned policies, the inbox, cases, decisions and the outbox."""
