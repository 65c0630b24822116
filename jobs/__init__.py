"""Background work on RQ: decide a case, write an action back, reconcile."""
