"""Assay's pure core: a case, a policy and a clock in, a decision out (`policies.engine.decide`). No I/O, nothing of
ours imported."""
