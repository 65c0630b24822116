"""The no-op job bench/throughput.py runs on Assay's worker class: what RQ itself costs a job."""


def noop() -> None:
    return None
