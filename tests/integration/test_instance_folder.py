"""`assay` keeps the embedded default's database and keys in its project's instance folder, wherever it is started
from: never a new database and a new key in the working directory's `instance/`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.project_copy import fresh_copy

ASSAY = str(Path(sys.executable).parent / "assay")


def test_assay_started_from_another_directory_uses_the_projects_instance_folder(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    fresh_copy(project)
    elsewhere.mkdir()
    # The copy's code (PYTHONPATH comes before the installed project), and none of the tests' settings.
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ASSAY_", "SHOPIFY_"))}
    environment["PYTHONPATH"] = str(project)
    result = subprocess.run([ASSAY, "db", "upgrade"], cwd=elsewhere, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (elsewhere / "instance").exists()
    assert {"assay.sqlite3", "secret.key"} <= {path.name for path in (project / "instance").iterdir()}
