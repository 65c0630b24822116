"""The WordPress plugin's PHP: `php -l` on every file and its PHPUnit suite (Debian's php-cli and phpunit, installed
here with apt-get when missing), run from pytest so `make test` and CI run them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PLUGIN = Path(__file__).parents[2] / "connector/woocommerce/plugin"


def _install_php() -> None:
    """php-cli and phpunit from Debian's packages, as root (the machine, CI): `apt-get update` first."""
    if shutil.which("php") and shutil.which("phpunit"):
        return
    if os.geteuid() != 0:
        pytest.skip("php-cli and phpunit are missing and only root can install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "-qq", "php-cli", "phpunit"], check=True, env=env,
                   capture_output=True, timeout=900)


@pytest.fixture(scope="module")
def php() -> str:
    _install_php()
    return "php"


def test_every_php_file_of_the_plugin_passes_php_lint(php: str) -> None:
    files = sorted(PLUGIN.rglob("*.php"))
    assert len(files) >= 8
    for path in files:
        done = subprocess.run([php, "-l", str(path)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_plugins_phpunit_suite_passes(php: str) -> None:
    done = subprocess.run(["phpunit", "-c", str(PLUGIN / "phpunit.xml")], cwd=PLUGIN, capture_output=True,
                          text=True, check=False, timeout=300)
    print(done.stdout)  # PHPUnit's summary, shown with -rP or on failure
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK (" in done.stdout and " tests," in done.stdout
