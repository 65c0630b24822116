"""Background work on RQ: handle an event, decide a case, write an action back, reconcile — for any platform,
through its adapter (connector.registry); no module here knows one."""
