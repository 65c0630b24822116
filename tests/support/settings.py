"""A test's change to an app's settings after the app was built, by variable name and checked as the environment's
are (the app reads its settings at use, so the next request or job sees the change)."""

from __future__ import annotations

from flask import Flask

from storage.settings import EXTENSION, settings_of


def change_settings(app: Flask, **values: object) -> None:
    app.extensions[EXTENSION] = settings_of(app).changed(values)
