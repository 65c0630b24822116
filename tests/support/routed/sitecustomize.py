"""Imported first by a process the tests start with `shop_routes.environment()`: its shops reach their fakes."""

from support import shop_routes

shop_routes.install()
