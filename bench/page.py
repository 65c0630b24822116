"""The settings page's first paint per screen on the demo data, in Debian's chromium (target: < 300 ms each).

usage: .venv/bin/python bench/page.py [--repeat 5] [--cases 36]
Builds the demo store in a fresh SQLite database, serves the app on 127.0.0.1 (a free port, jobs in-process), and
for each screen opens /admin/#<screen> in a fresh tab: the browser's first-contentful-paint, and the time until
the screen's data is on it. Medians over --repeat loads; written to bench/results/page.md (bench/report.py joins
the sections into bench/RESULTS.md) with the command.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from report import write_section  # noqa: E402

SCREENS = {"policy": "#policy-text h4", "try": "#try-order option", "decisions": "#cases tr",
           "reviews": "#reviews > li", "attention": "#failed-writes tr"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cases", type=int, default=36)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="assay-bench-page-")
    os.environ.pop("REDIS_URL", None)
    from cli.demo_seed import seed_demo
    from storage.migrate import upgrade
    from webhooks.app import create_app

    url = f"sqlite:///{folder}/bench.sqlite3"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "ASSAY_DEMO": True})
    with app.app_context():
        seed_demo(args.cases)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the figures' output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context()
        context.route("https://cdn.shopify.com/**", lambda route: route.abort())
        warm = context.new_page()
        warm.goto(base + "/")  # the demo sign-in: the session cookie, then every later load is signed in
        warm.locator(SCREENS["policy"]).first.wait_for(state="attached")
        for screen, loaded in SCREENS.items():
            paints, filled = [], []
            for _ in range(args.repeat):
                tab = context.new_page()
                tab.goto(f"{base}/admin/#{screen}")
                tab.locator(loaded).first.wait_for(state="attached")
                paints.append(tab.evaluate(
                    "performance.getEntriesByName('first-contentful-paint')[0].startTime"))
                filled.append(tab.evaluate("performance.now()"))
                tab.close()
            rows.append((screen, statistics.median(paints), statistics.median(filled)))
        browser.close()
    server.shutdown()
    command = f".venv/bin/python bench/page.py --repeat {args.repeat} --cases {args.cases}"
    lines = ["## The settings page: first paint per screen", "",
             f"`{command}` (also run by `make bench`) on the demo store ({args.cases} sample cases), Debian's "
             "chromium headless, Shopify's CDN blocked, the app served from one process on this 2-core machine. "
             f"Medians of {args.repeat} fresh loads of `/admin/#<screen>`; target: first paint < 300 ms.", "",
             "| screen | first contentful paint | the screen's data on it |", "|---|---|---|"]
    lines += [f"| {screen} | {paint:.0f} ms | {filled:.0f} ms |" for screen, paint, filled in rows]
    text = "\n".join(lines) + "\n"
    write_section("page", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
