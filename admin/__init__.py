"""The merchant's settings page and its JSON API."""
