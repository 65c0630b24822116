"""The real shop's kit and what the real-shop tests do with it: run the rig's scripts, call WooCommerce's REST API as
the admin, run PHP inside the shop, place orders and send requests the way customers do, read Assay's records, and
wait for what should happen with a deadline (never a blind sleep)."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import ssl
import subprocess
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from psycopg.rows import dict_row

ROOT = Path(__file__).parents[2]
PLUGIN = ROOT / "connector" / "woocommerce" / "plugin" / "assay-for-woocommerce"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
CHROMIUM = os.environ.get("RIG_CHROMIUM", "/usr/bin/chromium")
T = TypeVar("T")


def find_kit() -> Path:
    """The rig's kit: $ASSAY_SHARED_DIR, else the `shared/` beside this checkout or beside one of its parents (the
    workplace keeps it at ../shared)."""
    places = [Path(os.environ["ASSAY_SHARED_DIR"])] if os.environ.get("ASSAY_SHARED_DIR") else []
    places += [folder / "shared" for folder in ROOT.parents] + [Path("/work/shared")]
    found = next((place for place in places if (place / "woocommerce" / "rig" / "setup.sh").exists()), places[0])
    return found / "woocommerce" / "rig"


KIT = find_kit()


def run(script: str, env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """One of the kit's scripts; a failure shows the end of its output."""
    done = subprocess.run([str(KIT / script), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def plugin_zip(target: Path) -> Path:
    """What `make plugin` builds: the plugin's folder at the zip's top level, without its tests."""
    archive = target / "assay-for-woocommerce.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(PLUGIN.rglob("*")):
            bundle.write(path, path.relative_to(PLUGIN.parent))
    return archive


def wait_for(what: str, check: Callable[[], T | None], *, seconds: float = 60, every: float = 0.5) -> T:
    """Poll `check` until it gives something truthy, failing with `what` after the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:g} s: {what}")
        time.sleep(every)


@dataclass
class Shop:
    """A running rig with Assay behind its https and the plugin connected; see tests/realshop/conftest.py."""

    rig_dir: Path
    env: dict[str, str]  # the environment the kit's scripts are called with (RIG_DIR, ASSAY_DIR, DATABASE_URL, ...)
    values: dict[str, str]  # rig.env: RIG_SHOP_URL, RIG_ASSAY_URL, RIG_CA, RIG_LOGS, RIG_ADMIN_USER, ...
    database: str  # Assay's PostgreSQL database (a psycopg URL)
    zip: Path  # the plugin zip that was uploaded
    connect_output: str = ""  # what connect.sh printed
    products: dict[str, Any] = field(default_factory=dict)  # products.json: SKU -> id (and variations)
    store_domain: str = ""  # the store as Assay knows it
    _key: tuple[str, str] = ("", "")
    _customers: dict[str, httpx.Client] = field(default_factory=dict)
    _variations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.values["RIG_SHOP_URL"]

    @property
    def assay_url(self) -> str:
        return self.values["RIG_ASSAY_URL"]

    @property
    def logs(self) -> Path:
        return Path(self.values["RIG_LOGS"])

    def close(self) -> None:
        """The customers' signed-in clients."""
        for client in self._customers.values():
            client.close()
        self._customers.clear()

    # --- inside the shop --------------------------------------------------------------------------------------

    def wp_eval(self, php: str, *args: str) -> str:
        """PHP run inside the shop as the admin (rig/wp-eval.sh): what it echoes."""
        return run("wp-eval.sh", self.env, php, *args, timeout=60).stdout.strip()

    def option(self, name: str, value: Any) -> None:
        """Set (or, with None, delete) a WordPress option such as the mu-plugin's fault switches."""
        if value is None:
            self.wp_eval("delete_option( $argv[2] );", name)
        else:
            self.wp_eval("update_option( $argv[2], json_decode( $argv[3], true ), false );", name, json.dumps(value))

    # --- WooCommerce's REST API as the admin ------------------------------------------------------------------

    def admin_key(self) -> tuple[str, str]:
        if not self._key[0]:
            made = run("api-key.sh", self.env, "realshop tests").stdout
            found = dict(re.findall(r"(RIG_WC_KEY|RIG_WC_SECRET)=['\"]?([^'\"\s]+)", made))
            self._key = (found["RIG_WC_KEY"], found["RIG_WC_SECRET"])
        return self._key

    def trust(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.values["RIG_CA"])

    @contextmanager
    def client(self, timeout: float = 30) -> Iterator[httpx.Client]:
        """An https client that trusts the rig's CA."""
        with httpx.Client(verify=self.trust(), timeout=timeout) as client:
            yield client

    def rest(self, method: str, route: str, body: Any = None, **params: Any) -> Any:
        """wc/v3 as the admin (Basic auth over https, as Assay calls it); a non-2xx answer fails the test."""
        with self.client() as client:
            answer = client.request(method, f"{self.url}/wp-json/wc/v3/{route.lstrip('/')}", json=body,
                                    params=params or None, auth=self.admin_key())
        assert answer.is_success, f"{method} {route}: {answer.status_code} {answer.text[:500]}"
        return answer.json()

    # --- Assay ------------------------------------------------------------------------------------------------

    def assay(self, *args: str) -> str:
        """Assay's CLI on its own database (the settings assay-start.sh kept in assay.env)."""
        settings = dict(line.split("=", 1) for line in (self.rig_dir / "assay.env").read_text().splitlines()
                        if "=" in line)
        done = subprocess.run([settings["ASSAY_VENV"] + "/bin/assay", *args], env={**self.env, **settings},
                              capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
        assert done.returncode == 0, f"assay {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
        return done.stdout.strip()

    @contextmanager
    def merchant(self, person: str = "merchant@rig.test") -> Iterator[httpx.Client]:
        """Assay's settings page as its merchant signs in: a login link (`assay stores login-link`) opened once for the
        session cookie, and the session's CSRF token sent with every call."""
        link = self.assay("stores", "login-link", "--domain", self.store_domain, "--platform", "woocommerce",
                          "--by", person).splitlines()[-1]
        with self.client() as client:
            signed = client.get(link)
            assert signed.status_code == 303, f"no session from the login link: {signed.status_code} {signed.text}"
            client.headers["X-CSRF-Token"] = client.get(f"{self.assay_url}/admin/api/session").json()["csrf_token"]
            yield client

    def assay_groups(self) -> dict[str, int]:
        """Assay's processes as assay-start.sh recorded them: web, worker and clock, each its process group's id."""
        run_dir = self.rig_dir / "run"
        return {name: int((run_dir / f"assay-{name}.pid").read_text()) for name in ("web", "worker", "clock")
                if (run_dir / f"assay-{name}.pid").is_file()}

    def logged(self, name: str, since: int = 0) -> list[dict[str, Any]]:
        """The JSON lines of one of Assay's logs (assay-worker, assay-clock, ...) from byte `since` on."""
        with (self.logs / f"{name}.log").open("rb") as log:
            log.seek(since)
            lines = log.read().decode(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def use_preset(self, preset: str) -> None:
        """The connected store's policy from now on: a new version of `preset`."""
        self.assay("policy", "set", "--domain", self.store_domain, "--preset", preset)

    def query(self, statement: str, *params: Any) -> list[dict[str, Any]]:
        """Rows of Assay's own database."""
        with psycopg.connect(self.database.replace("postgresql+psycopg", "postgresql"), row_factory=dict_row,
                             autocommit=True) as connection:
            return list(connection.execute(statement, params).fetchall())

    # --- customers --------------------------------------------------------------------------------------------

    def place_orders(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Orders as the admin creates them through WooCommerce's REST API (the bulk of the suite; one order goes
        through the storefront's checkout), all in one PHP process inside the shop: each a dict with `lines`
        [(product, quantity)] by products.json's names ("stack:54" for a size), and optionally `customer` (anna,
        camille), `status` (default delivered), `coupon`, `engraving` (the Engraving meta of the signet ring).
        Each is paid by the rig's card, with the customer's addresses and the flat rate of their country."""
        bodies = []
        for wanted in orders:
            items = []
            for product, quantity in wanted["lines"]:
                item: dict[str, Any] = {"quantity": quantity, **self.product_ref(product)}
                if product == "signet" and wanted.get("engraving"):
                    item["meta_data"] = [{"key": "Engraving", "value": wanted["engraving"]}]
                items.append(item)
            bodies.append({"customer": wanted.get("customer", "anna"), "status": wanted.get("status", "delivered"),
                           "coupon": wanted.get("coupon"), "line_items": items})
        made = self.wp_eval(PLACE_ORDERS_PHP, json.dumps(bodies))
        return [dict(order) for order in json.loads(made)]

    def place_order(self, lines: list[tuple[str, int]], **options: Any) -> dict[str, Any]:
        return self.place_orders([{"lines": lines, **options}])[0]

    def checkout(self, login: str, products: list[str]) -> dict[str, Any]:
        """An order placed the customer's way: signed in to the storefront in Chromium, each product added to the cart
        from its page (the signet ring with an engraving), the classic checkout with the rig's test card."""
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--no-first-run"])
            try:
                page = browser.new_context(ignore_https_errors=True).new_page()
                page.set_default_timeout(60_000)
                page.goto(f"{self.url}/wp-login.php")
                page.fill("#user_login", login)
                page.fill("#user_pass", "rig-customer-pass")
                page.click("#wp-submit")
                page.wait_for_load_state("domcontentloaded")
                for product in products:
                    name, _, size = product.partition(":")
                    page.goto(f"{self.url}/?p={self.products[name]}")
                    if size:
                        page.select_option("select#pa_size", size)
                        page.wait_for_function("document.querySelector('input.variation_id').value > 0")
                    if page.locator("input[name=rig_engraving]").count():
                        page.fill("input[name=rig_engraving]", "A & B")
                    page.click("button.single_add_to_cart_button")
                    page.wait_for_load_state("domcontentloaded")
                page.goto(f"{self.url}/checkout/")
                page.check("#payment_method_rig_card")
                page.click("#place_order")
                page.wait_for_url("**/order-received/**")
                order_id = int(re.search(r"order-received/(\d+)", page.url).group(1))  # type: ignore[union-attr]
            finally:
                browser.close()
        return dict(self.rest("GET", f"orders/{order_id}"))

    def product_ref(self, product: str) -> dict[str, int]:
        """product_id (and variation_id) of a catalogue name of products.json, "stack:54" for a size."""
        name, _, size = product.partition(":")
        ref = {"product_id": int(self.products[name])}
        if size:
            if name not in self._variations:
                self._variations[name] = self.rest("GET", f"products/{ref['product_id']}/variations")
            ref["variation_id"] = next(v["id"] for v in self._variations[name]
                                       if v["attributes"][0]["option"] == size)
        return ref

    def customer_session(self, login: str = "anna") -> httpx.Client:
        """An https client signed in to the storefront as a customer of the rig, one per customer: WordPress keeps a
        user's sessions in one meta row, and logins at the same moment lose each other's session."""
        if login in self._customers:
            return self._customers[login]
        client = httpx.Client(verify=self.trust(), timeout=60, follow_redirects=True)
        client.cookies.set("wordpress_test_cookie", "WP Cookie check", domain="127.0.0.1")
        signed = client.post(f"{self.url}/wp-login.php", data={
            "log": login, "pwd": "rig-customer-pass", "wp-submit": "Log In", "testcookie": "1",
            "redirect_to": f"{self.url}/my-account/"})
        assert signed.status_code == 200 and any(c.startswith("wordpress_logged_in") for c in client.cookies), \
            f"{login} could not sign in: {signed.status_code} {signed.text[:300]}"
        self._customers[login] = client
        return client

    def ask(self, order: dict[str, Any], kind: str, reason: str, skus: list[str] | None = None,
            *, photos: int = 0) -> str:
        """The customer's request through the plugin's My Account form (its page, its nonce, its POST), for the
        order's lines of these SKUs (all of them when None): the text the plugin answers with."""
        lines = [str(line["id"]) for line in order["line_items"] if skus is None or line["sku"] in skus]
        customer = self.customer_session(customer_login(order))
        page_url = f"{self.url}/my-account/assay-request/{order['id']}/"
        page = customer.get(page_url)
        nonce = re.search(r'name="assay_request_nonce" value="([^"]+)"', page.text)
        assert nonce, f"no request form on {page_url}: {page.status_code} {visible_text(page.text, 'entry-content')}"
        answer = customer.post(page_url, data={
            "assay_request_nonce": nonce.group(1), "kind": kind, "reason": reason, "photos": str(photos),
            "note": "", "line_id[]": lines})
        return visible_text(answer.text, "assay-request")

    def ask_all(self, requests: list[tuple[dict[str, Any], str, str, list[str] | None]]) -> list[str]:
        """Several customers' requests at once (each waits up to 3 s in the plugin for its answer), each customer
        signed in once beforehand."""
        for order, *_ in requests:
            self.customer_session(customer_login(order))
        with ThreadPoolExecutor(max_workers=4) as pool:
            return list(pool.map(lambda one: self.ask(*one), requests))

    def mails(self) -> list[dict[str, Any]]:
        path = self.logs / "woo-rig-mail.log"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# Each order through the REST controller in-process, as the admin: the customer's own addresses, the rig's card,
# the flat rate of their country (net, as WooCommerce's shipping lines hold it), then the wanted status.
PLACE_ORDERS_PHP = r'''
$made = array();
foreach ( json_decode( $argv[2], true ) as $wanted ) {
    $user = get_user_by( "login", $wanted["customer"] );
    $person = rest( "GET", "/wc/v3/customers/" . $user->ID );
    $body = array(
        "customer_id" => $user->ID, "payment_method" => "rig_card", "payment_method_title" => "Test card",
        "set_paid" => true, "billing" => $person["billing"], "shipping" => $person["shipping"],
        "line_items" => $wanted["line_items"],
        "shipping_lines" => array( array( "method_id" => "flat_rate", "method_title" => "Flat rate",
            "total" => "FR" === $person["shipping"]["country"] ? "9.90" : "4.90" ) ),
    );
    if ( $wanted["coupon"] ) {
        $body["coupon_lines"] = array( array( "code" => $wanted["coupon"] ) );
    }
    $order = rest( "POST", "/wc/v3/orders", $body );
    if ( empty( $order["id"] ) ) {
        fwrite( STDERR, wp_json_encode( $order ) );
        exit( 1 );
    }
    if ( $wanted["status"] && $order["status"] !== $wanted["status"] ) {
        $order = rest( "PUT", "/wc/v3/orders/" . $order["id"], array( "status" => $wanted["status"] ) );
    }
    $made[] = $order;
}
echo wp_json_encode( $made );
'''


def alive_in_group(group: int) -> list[int]:
    """The processes of a process group still running, from /proc (a zombie waiting for its reaper is gone)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, process_group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):  # it ended while being read
            continue
        if state != "Z" and int(process_group) == group:
            alive.append(int(stat.parent.name))
    return alive


def customer_login(order: dict[str, Any]) -> str:
    """The rig's customer who placed the order (anna in Berlin, camille in Lyon)."""
    return "camille" if order["billing"]["country"] == "FR" else "anna"


def visible_text(page: str, css_class: str) -> str:
    """The text of the first element whose class holds `css_class`, tags stripped and entities read as characters."""
    found = re.search(rf'<div class="[^"]*{css_class}[^"]*">(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1) if found else ""))).strip()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
