"""Browser tests: two live demo nodes (JPN, PHL) in their own processes, and a real Chromium.

The demo data set (``acsa.devtools.demo.seed``) is seeded once per test
session into a template directory, and each module gets a copy: its peers'
URLs rewritten to the free ports chosen for it, one user enrolled with a
TOTP second factor, and both nodes started as ``acsa serve`` processes that
sync with each other over loopback HTTP. Nothing is mocked.

The browser is Debian's ``chromium`` driven by the pinned Playwright
package; no browser is ever downloaded. Without ``/usr/bin/chromium`` the
tests fail under ``CI=true`` and skip otherwise.

The accessibility audit runs axe-core from its npm package, pinned in
``tests/e2e/package.json`` and installed by ``make`` (``npm ci``): the test
injects the file into each page itself; nothing comes from a CDN. Every audit
is summed up at the end of the run (pages, rules, violations by impact).

Every request any page makes is recorded; at the end of each test all of
them must have gone to one of the two nodes (no CDN, no outside fonts).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pyotp
import pytest

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.devtools.demo import DEMO_PASSWORD, seed
from acsa.devtools.world import scripted, user_id
from acsa.domain.parties import Role
from acsa.services import auth, users
from acsa.services.node import Node
from acsa.services.peers import add_peer
from acsa.services.unit_of_work import UnitOfWork

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking"]
VIEWPORT = {"width": 1280, "height": 900}
PASSWORD = DEMO_PASSWORD
SYNC_INTERVAL_S = "0.5"
START_TIMEOUT_S = 30.0
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The user who logs in with a real one-time code (everyone else: password only).
TOTP_USER = "jpn.finance"
TOTP_STEP_S = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveNode:
    """One node served by ``acsa serve`` in its own process group."""

    party: str
    data_dir: Path
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    _node: Node | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        # Plain HTTP on loopback: a Secure cookie would never come back. TOTP is
        # not required, so the one enrolled user is asked for a code and the
        # others are not (docs/security.md).
        return {**os.environ, "ACSA_DATA_DIR": str(self.data_dir), "ACSA_HOST": "127.0.0.1",
                "ACSA_PORT": str(self.port), "ACSA_COOKIE_SECURE": "false",
                "ACSA_TOTP_REQUIRED": "false", "ACSA_SYNC_INTERVAL_S": SYNC_INTERVAL_S}

    @property
    def node(self) -> Node:
        """The node opened in the test process, as a CLI command would open it."""
        if self._node is None:
            self._node = open_node(Settings(data_dir=self.data_dir))
        return self._node

    def spawn(self) -> None:
        with self.log.open("ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "acsa", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)

    def ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.party} exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/auth/login", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.party} did not start: {self.log_tail()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None
        if self._node is not None:
            self._node.engine.dispose()
            self._node = None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def sync_now(self) -> None:
        """One sync round by hand (`acsa sync now`), as an operator would run it."""
        done = subprocess.run([sys.executable, "-m", "acsa", "sync", "now"], env=self.env,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, f"acsa sync now on {self.party}: {done.stderr[-2000:]}"

    def act(self, role: Role, use_case: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        with UnitOfWork(self.node) as uow:
            result = scripted(use_case, kw)(
                uow, users.get_user(uow, user_id(self.party, role)), *args, **kw)
            uow.commit()
        return result

    def read(self, query: Callable[[UnitOfWork], Any]) -> Any:
        with UnitOfWork(self.node, write=False) as uow:
            return query(uow)


@dataclass
class Nodes:
    jpn: LiveNode
    phl: LiveNode
    totp_secrets: dict[str, str] = field(default_factory=dict)
    totp_steps: dict[str, int] = field(default_factory=dict)  # the last step used, per user

    def __getitem__(self, party: str) -> LiveNode:
        return self.jpn if party == "JPN" else self.phl

    def of_user(self, user: str) -> LiveNode:
        return self[user.split(".")[0].upper()]

    @property
    def origins(self) -> set[str]:
        return {self.jpn.url, self.phl.url}


def chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is not installed (Debian package `chromium`; `make test` installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


# -- one xdist group ---------------------------------------------------------------------

E2E_DIR = Path(__file__).resolve().parent


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep this directory's tests on one worker under ``--dist loadgroup``.

    pytest-xdist 3.8 marks a test's group by rewriting ``item._nodeid`` to end in
    ``@<group>``; pytest 9.2 derives ``nodeid`` from ``item._id`` instead, so the
    rewrite is lost and every group is spread over the workers (each of which would
    then seed and start its own pair of nodes and its own Chromium). Where that
    happened, give our items the suffix the scheduler groups by; a no-op once
    xdist's own rewrite takes effect again.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        marks = [m.args[0] if m.args else m.kwargs.get("name", "default")
                 for m in item.iter_markers("xdist_group")]
        if not marks or "@" in item.nodeid or E2E_DIR not in Path(item.path).parents:
            continue
        if not hasattr(item, "_id"):
            continue
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(map(str, marks)))}")


# -- the two nodes ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data set, seeded once (about 5 s) and copied for each module."""
    base = tmp_path_factory.mktemp("demo-template")
    jpn, phl = seed(base, lambda _line: None)
    for node in (jpn, phl):
        node.engine.dispose()
    return base


def _prepare(base: Path, ports: dict[str, int]) -> dict[str, str]:
    """Point each node's peer at the other's port; English for JPN; one TOTP enrolment."""
    secrets: dict[str, str] = {}
    for party, other in (("JPN", "PHL"), ("PHL", "JPN")):
        node = open_node(Settings(data_dir=base / party.lower()))
        try:
            with UnitOfWork(node) as uow:
                admin = users.get_user(uow, user_id(party, Role.ADMINISTRATOR))
                peer = next(p for p in _peers(uow) if p.party == other)
                add_peer(uow, admin, party=other, key_fingerprint=peer.fingerprint,
                         base_url=f"http://127.0.0.1:{ports[other]}")
                # The demo gives JPN officials Japanese pages; the tests read English
                # unless they switch (test_japanese switches through /preferences).
                for role in Role:
                    who = users.get_user(uow, user_id(party, role))
                    users.set_preferences(uow, who, locale="en", time_zone=who.time_zone)
                if party == "JPN":
                    enrolled = auth.enrol_totp(uow, admin, TOTP_USER)
                    secrets[TOTP_USER] = enrolled.secret
                uow.commit()
        finally:
            node.engine.dispose()
    return secrets


def _peers(uow: UnitOfWork) -> list[Any]:
    from acsa.services.peers import list_peers

    return list_peers(uow)


@pytest.fixture(scope="module")
def nodes(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    base = tmp_path_factory.mktemp("e2e-nodes")
    for party in ("jpn", "phl"):
        shutil.copytree(demo_template / party, base / party)
    ports = {"JPN": free_port(), "PHL": free_port()}
    secrets = _prepare(base, ports)
    live = Nodes(*(LiveNode(p, base / p.lower(), ports[p], base / f"{p.lower()}.log")
                   for p in ("JPN", "PHL")), totp_secrets=secrets)
    try:
        for n in (live.jpn, live.phl):
            n.spawn()
        for n in (live.jpn, live.phl):
            n.ready()
        yield live
    finally:
        live.jpn.stop()
        live.phl.stop()


# -- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield b
        finally:
            b.close()


def axe_or_skip() -> Path:
    if AXE.is_file():
        return AXE
    reason = f"{AXE} is missing (npm package axe-core; `make test` runs npm ci in tests/e2e)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


# -- the accessibility audit --------------------------------------------------------------

# axe-core's rules, as it runs them by default (WCAG 2.0-2.2 A and AA, best practices).
AXE_RUN_JS = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return {
    rules: r.passes.length + r.violations.length + r.incomplete.length + r.inapplicable.length,
    version: axe.version,
    violations: r.violations.map(v => ({
      id: v.id, impact: v.impact || 'minor', help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))};
}"""


@dataclass
class AxeAudit:
    """One page audited: where, in which language and width, and what axe found."""

    page: str
    language: str
    width: int
    rules: int
    version: str
    violations: list[dict[str, Any]]

    def serious(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v["impact"] in ("serious", "critical")]


AXE_AUDITS: list[AxeAudit] = []


def audit(page: Any, name: str, language: str) -> AxeAudit:
    """Run axe-core on ``page`` as it stands (the context must bypass the page's CSP, which
    rightly refuses inline scripts) and keep the result for the run's summary."""
    page.add_script_tag(path=str(axe_or_skip()))
    found = page.evaluate(AXE_RUN_JS)
    result = AxeAudit(name, language, int(page.viewport_size["width"]), int(found["rules"]),
                      str(found["version"]), list(found["violations"]))
    AXE_AUDITS.append(result)
    return result


def axe_summary() -> list[str]:
    """The audits of this run in a few lines: pages, rules, violations by impact."""
    if not AXE_AUDITS:
        return []
    impacts = ("critical", "serious", "moderate", "minor")
    counts = dict.fromkeys(impacts, 0)
    rules: dict[str, set[str]] = {}
    for a in AXE_AUDITS:
        for v in a.violations:
            counts[v["impact"]] = counts.get(v["impact"], 0) + len(v["nodes"])
            rules.setdefault(f"{v['id']} ({v['impact']})", set()).add(a.page)
    pages = sorted({a.page for a in AXE_AUDITS})
    first = AXE_AUDITS[0]
    lines = [f"axe-core {first.version}: {len(AXE_AUDITS)} audits of {len(pages)} pages "
             f"({', '.join(sorted({a.language for a in AXE_AUDITS}))}; widths "
             f"{', '.join(str(w) for w in sorted({a.width for a in AXE_AUDITS}))} px), "
             f"{max(a.rules for a in AXE_AUDITS)} rules each",
             "violations by impact (elements): "
             + ", ".join(f"{k} {counts[k]}" for k in impacts),
             "pages: " + " ".join(pages)]
    lines += [f"  {rule}: {', '.join(sorted(where))}" for rule, where in sorted(rules.items())]
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = axe_summary()
    if lines:
        terminalreporter.section("accessibility audit (axe-core)")
        for line in lines:
            terminalreporter.write_line(line)


@dataclass
class Browsing:
    """Opens browser contexts for a test, records every request and closes them after."""

    browser: Any
    nodes: Nodes
    requests: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def context(self, **kw: Any) -> Any:
        ctx = self.browser.new_context(**{"viewport": VIEWPORT, "locale": "en-GB", **kw})
        ctx.set_default_timeout(10_000)
        ctx.on("request", lambda request: self.requests.append(request.url))
        self.contexts.append(ctx)
        return ctx

    def login(self, user: str, *, ctx: Any = None, **kw: Any) -> Any:
        """A page logged in as ``user`` on the user's own node, showing the dashboard."""
        node = self.nodes.of_user(user)
        page = (ctx or self.context(**kw)).new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "Reject?" confirmations
        page.goto(f"{node.url}/auth/login")
        page.fill("#user", user)
        page.fill("#password", PASSWORD)
        page.click("main form button[type=submit]")
        if user in self.nodes.totp_secrets:
            page.wait_for_url(re.compile(r"/auth/code"))
            page.fill("#code", self.next_code(user))
            page.click("main form button[type=submit]")
        page.wait_for_url(f"{node.url}/")
        return page

    def next_code(self, user: str) -> str:
        """A one-time code the node has not accepted yet: a code is accepted once, so a
        second login within one 30-second step uses the next step's code (the node allows
        one step of drift), and a third waits for the step to pass."""
        now_step = int(time.time()) // TOTP_STEP_S
        step = max(now_step, self.nodes.totp_steps.get(user, -1) + 1)
        while step > int(time.time()) // TOTP_STEP_S + 1:
            time.sleep(1)
        self.nodes.totp_steps[user] = step
        return str(pyotp.TOTP(self.nodes.totp_secrets[user]).at(step * TOTP_STEP_S))

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests
                if u.startswith(("http:", "https:", "ws:", "wss:"))
                and f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" not in self.nodes.origins]

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def browse(browser: Any, nodes: Nodes) -> Iterator[Browsing]:
    b = Browsing(browser, nodes)
    try:
        yield b
    finally:
        b.close()
    assert not b.foreign_requests(), f"requests left the nodes: {b.foreign_requests()[:5]}"


def screenshot(page: Any, name: str, **kw: Any) -> None:
    """Save ``docs/screenshots/<name>`` only when ACSA_SCREENSHOTS=1 (keeps the tree clean)."""
    if os.environ.get("ACSA_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), **kw)
