"""Fixtures of the browser tests: one JupyterLab server and one Chromium page per module.

``lab`` starts ``jupyter lab`` on 127.0.0.1 (a free port, a random token, every Jupyter
directory in a temporary folder, the notebook copied there) and stops it, by its PID, at the end.
``page`` opens ``explorers.ipynb`` in Debian's Chromium driven by Playwright (its own browser
download is not needed), waits for the kernel, runs all cells and waits for the five explorers.
Every request that is not to 127.0.0.1 is aborted. Console errors and page errors are collected
in ``page.console_errors``. Screenshots go to ``tests/artifacts/browser/``.
``lab_in`` starts the same server on another folder (a course with its own nbgrader config).

The tests skip, saying why, when Chromium or Playwright is missing (``.ci/run`` installs both).
Keep these fixtures here: importing them from a test module would start a second Playwright.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NOTEBOOK = HERE / "explorers.ipynb"
ARTIFACTS = REPO / "tests" / "artifacts" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
KINDS = ("relu", "xor", "activation", "cost", "backprop")
TIMEOUT_MS = 240_000  # Run All on a busy 2-core machine: kernel start, five figures, a training


@dataclass
class Lab:
    """A running JupyterLab server."""

    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen

    def log_text(self) -> str:
        """The server's (and its kernels') output so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sync_playwright_api():
    """Playwright's sync API, or a skip saying what is missing."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(
            "browser tests need Playwright (pip install playwright, or the 'browser' extra)"
        )
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.skip("browser tests need JupyterLab")
    return sync_playwright


@pytest.fixture(scope="module")
def lab(sync_playwright_api, tmp_path_factory) -> Iterator[Lab]:
    """``jupyter lab`` on 127.0.0.1 serving a temporary copy of ``explorers.ipynb``."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)  # autosave may write outputs: never the original
    settings = base / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        IPYTHONDIR=str(base / "ipython"),
        # the kernel must import the course_lib of this checkout, whatever is installed
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        MPLBACKEND="Agg",
    )
    port, token = _free_port(), secrets.token_hex(16)
    log = base / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    server = Lab(url, token, root, log, process)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}:\n{server.log_text()}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within 90 s:\n{server.log_text()}")
            time.sleep(0.5)
        yield server
    finally:
        # stop only the server we started, by its PID; it shuts its kernels down on SIGTERM
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(sync_playwright_api):
    """Headless Debian Chromium."""
    with sync_playwright_api() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


def _only_localhost(route) -> None:
    host = route.request.url.split("/")[2] if "://" in route.request.url else ""
    if host.split(":")[0] == "127.0.0.1" or route.request.url.startswith(("data:", "blob:")):
        route.continue_()
    else:
        route.abort()


@pytest.fixture(scope="module")
def page(browser, lab: Lab):
    """``explorers.ipynb`` open in JupyterLab after Run All, every explorer displayed."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", _only_localhost)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.on(
        "console",
        lambda msg: (
            pg.console_errors.append(f"console.{msg.type}: {msg.text}")
            if msg.type == "error"
            else None
        ),
    )
    pg.on("pageerror", lambda err: pg.console_errors.append(f"pageerror: {err}"))
    pg.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}?reset&token={lab.token}")
    pg.locator(".jp-Notebook").first.wait_for(state="visible")
    # "Idle" before a kernel exists is a trap: wait for the kernel's name with its status
    pg.wait_for_function(
        "() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent || '')"
    )
    pg.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    pg.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    for kind in KINDS:
        pg.locator(f".course-{kind}-explorer").wait_for(state="visible")
    for kind in KINDS:
        wait_image_loaded(pg, kind)
    pg.wait_for_function(
        "() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent || '')"
    )
    pg.screenshot(path=str(ARTIFACTS / "notebook_after_run_all.png"), full_page=True)
    try:
        yield pg
    finally:
        context.close()


class UI:
    """Helpers of the browser tests, handed out by the ``ui`` fixture."""

    KINDS = KINDS
    ARTIFACTS = ARTIFACTS
    TIMEOUT_MS = TIMEOUT_MS

    @staticmethod
    def image_selector(kind: str) -> str:
        return image_selector(kind)

    @staticmethod
    def src(pg, kind: str) -> str:
        return image_src(pg, kind)

    @staticmethod
    def wait_changed(pg, kind: str, before: str) -> str:
        return wait_image_changed(pg, kind, before)

    @staticmethod
    def shot(pg, name: str, kind: str | None = None) -> Path:
        """Screenshot the explorer ``kind`` (or the page) to ``tests/artifacts/browser/``."""
        path = ARTIFACTS / f"{name}.png"
        target = pg.locator(f".course-{kind}-explorer") if kind else pg
        target.screenshot(path=str(path))
        return path


@pytest.fixture(scope="module")
def ui() -> type[UI]:
    """Selectors, waits and screenshots shared by the browser tests."""
    return UI


def image_selector(kind: str) -> str:
    """CSS selector of an explorer's rendered figure (an ``<img>``)."""
    return f".course-{kind}-explorer img.course-{kind}-image"


def wait_image_loaded(pg, kind: str) -> None:
    """Wait until the explorer's image has been decoded (non-zero natural size)."""
    pg.wait_for_function(
        "sel => { const i = document.querySelector(sel); return i && i.complete && "
        "i.naturalWidth > 100 && i.naturalHeight > 50; }",
        arg=image_selector(kind),
    )


def image_src(pg, kind: str) -> str:
    """The ``src`` of the explorer's image (a new blob URL after every render)."""
    return pg.locator(image_selector(kind)).get_attribute("src") or ""


def wait_image_changed(pg, kind: str, before: str, timeout: float = TIMEOUT_MS) -> str:
    """Wait until the image's ``src`` differs from ``before`` and the new image is decoded."""
    pg.wait_for_function(
        "([sel, old]) => { const i = document.querySelector(sel); return i && i.src !== old "
        "&& i.complete && i.naturalWidth > 100; }",
        arg=[image_selector(kind), before],
        timeout=timeout,
    )
    return image_src(pg, kind)


# ------------------------------------------------------------------------------------------------
# The course site (test_site_browser.py): built once per run, served on 127.0.0.1
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def course_site(tmp_path_factory) -> dict:
    """The course site of this checkout, built once per run: ``{"out_dir", "lectures", ...}``.

    The same folder, lock and record as the ``site`` fixture of ``tests/site/conftest.py``, so
    whichever xdist worker comes first builds it and the other reuses it. Skips, saying what to
    install, without the ``site`` extra or a speech engine.
    """
    import dataclasses
    import fcntl
    import warnings

    try:
        from course_site.book import build_site, require_book_tool
        from course_site.layout import Course
        from course_site.podcast import EngineMissing, find_engine

        require_book_tool()
        find_engine()
    except (ModuleNotFoundError, EngineMissing) as err:
        pytest.skip(f"the course site cannot be built here: {err}")
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "course-site"
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / "site.json"
    with (folder / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            course = dataclasses.replace(Course.find(REPO), build=folder / "build")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", PendingDeprecationWarning)
                result = build_site(folder / "site", course=course, progress=False)
            data = {**dataclasses.asdict(result), "out_dir": str(result.out_dir)}
            record.write_text(json.dumps(data), encoding="utf-8")
    data = json.loads(record.read_text(encoding="utf-8"))
    return {**data, "out_dir": Path(data["out_dir"])}


@pytest.fixture(scope="module")
def serve_folder():
    """A function that serves a folder over HTTP on 127.0.0.1 and returns its base URL.

    Each server runs in a thread of this process and is shut down at the end of the module.
    """
    import functools
    import http.server
    import threading

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            """Keep the test output clean: no line per request."""

    servers = []

    def serve(folder: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    try:
        yield serve
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def offline_page(browser):
    """A fresh Chromium page in which every request not to 127.0.0.1 is aborted."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    context.route("**/*", _only_localhost)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        yield pg
    finally:
        context.close()


# ------------------------------------------------------------------------------------------------
# JupyterLab on a course folder (test_formgrader_browser.py): formgrader reads its nbgrader config
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lab_in(sync_playwright_api, tmp_path_factory):
    """A function that starts ``jupyter lab`` on 127.0.0.1 in a folder and returns its :class:`Lab`.

    ``lab_in(root, server_config)`` serves ``root`` from ``root`` itself, so nbgrader's server
    extensions read the ``nbgrader_config.py`` there. As in ``lab``: a free port, a random token
    and every Jupyter directory temporary; ``server_config`` becomes that config directory's
    ``jupyter_server_config.json`` (e.g. the server extensions to enable), and ``PATH`` starts
    with this Python's ``bin`` (nbgrader runs ``alembic``). Each server is stopped, by its PID,
    at the end of the module.
    """
    started: list[subprocess.Popen] = []

    def start(root: Path, server_config: dict | None = None) -> Lab:
        base = tmp_path_factory.mktemp("jupyterlab-in")
        config = base / "config"
        config.mkdir()
        (config / "jupyter_server_config.json").write_text(json.dumps(server_config or {}))
        notification = base / "settings" / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(base / "runtime"),
            IPYTHONDIR=str(base / "ipython"),
            PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            MPLBACKEND="Agg",
        )
        port, token = _free_port(), secrets.token_hex(16)
        log = base / "server.log"
        cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
            "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(cmd, env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT)
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        server = Lab(url, token, Path(root), log, process)
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with {process.returncode}:\n{server.log_text()}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        return server
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer within 90 s:\n{server.log_text()}")
            time.sleep(0.5)

    try:
        yield start
    finally:
        for process in started:  # only the servers started here, by their PIDs
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
