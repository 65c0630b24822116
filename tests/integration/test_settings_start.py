"""A bad setting stops `assay` before it does anything: one line per problem, naming the variable and its rule, and
no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ASSAY = str(Path(sys.executable).parent / "assay")


def test_assay_refuses_a_bad_setting_with_one_line_naming_it(tmp_path: Path) -> None:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/assay.sqlite3", "PORT": "abc",
                   "SHOPIFY_PACING": "sometimes"}
    ran = subprocess.run([ASSAY, "stores", "list"], env=environment, capture_output=True, text=True, timeout=60)
    assert ran.returncode != 0
    assert 'PORT: must be an integer 1-65535, got "abc"' in ran.stderr
    assert 'SHOPIFY_PACING: must be on or off (1/0, true/false, yes/no), got "sometimes"' in ran.stderr
    assert "Traceback" not in ran.stderr, "one clear line a problem, not a stack"
