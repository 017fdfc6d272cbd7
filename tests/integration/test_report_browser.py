"""The Snakemake report of a sample run, opened in headless Chromium as a reader opens it (docs/design.md §7).

Builds report.zip for the session's sample run, unpacks it, opens report.html and checks, through
the page itself: every figure and table of the run (every report() output the workflow declares,
as the run's README.md lists them) is listed under its category, every image loads (naturalWidth >
0) and is byte-identical to the run's file, every result has a caption, and the console shows no
error. Screenshots of the start page, a figure and a table listing are saved in
the test's tmp dir (the path is printed; run pytest with -s to see it).

Chromium is driven over its DevTools protocol on a pipe (--remote-debugging-pipe: commands on
fd 3, replies on fd 4, each a JSON text ended by NUL), so no browser-driver package is needed.
"""

import base64
import json
import os
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.snakemake_cli import run_snakemake
from tests.integration.test_run_readme import readme_files

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        CHROMIUM is None, reason="headless Chromium not found: install the Debian package `chromium` (apt-get)"
    ),
]
RUN_DIR = Path("results") / "sample"
WAIT_S = 30.0  # upper bound for one page state to appear; a healthy page needs well under a second


class DevTools:
    """A headless Chromium and one page, driven over the DevTools protocol on a pipe."""

    def __init__(self, executable: str, profile: Path) -> None:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()

        def pipe_to_fd_3_and_4() -> None:  # in the child, before exec
            reads, writes = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(reads, 3)
            os.dup2(writes, 4)

        args = [
            executable,
            "--headless",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            args,
            preexec_fn=pipe_to_fd_3_and_4,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._out = os.fdopen(to_browser_w, "wb", buffering=0)
        self._in = os.fdopen(from_browser_r, "rb", buffering=0)
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=self.session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            session=self.session,
            width=1400,
            height=900,
            deviceScaleFactor=1,
            mobile=False,
        )

    def _read(self) -> None:
        buffer = b""
        while chunk := self._in.read(1 << 16):
            *messages, buffer = (buffer + chunk).split(b"\0")
            with self._changed:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self.events.append(message)
                self._changed.notify_all()

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        call = self._next_id
        message: dict[str, Any] = {"id": call, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._out.write(json.dumps(message).encode() + b"\0")
        with self._changed:
            if not self._changed.wait_for(lambda: call in self._replies, WAIT_S):
                raise TimeoutError(f"Chromium did not answer {method} within {WAIT_S} s")
            reply = self._replies.pop(call)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (promises are awaited)."""
        result = self.send(
            "Runtime.evaluate", session=self.session, expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        """Poll until a JavaScript expression is truthy; its value."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            value = self.evaluate(f"(() => {{ try {{ return {expression}; }} catch (e) {{ return null; }} }})()")
            if value:
                return value
            time.sleep(0.05)
        pytest.fail(f"report page: {what} did not happen within {WAIT_S} s", pytrace=False)

    def click(self, label: str) -> None:
        """Click the menu entry with this text (a category or subcategory of the navigation)."""
        self.wait_for(
            f"(a => a ? (a.click(), true) : false)([...document.querySelectorAll('#app li > a')]"
            f".find(a => a.innerText.trim() === {json.dumps(label)}))",
            f"a menu entry {label!r}",
        )

    def screenshot(self, path: Path) -> None:
        time.sleep(0.3)  # let the last React render paint
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", session=self.session)["data"]))

    def console_errors(self) -> list[str]:
        """Errors the page reported: uncaught exceptions, console.error/assert, failed loads."""
        errors = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                errors.append(" ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"]))
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(f"{params['entry'].get('url', '')}: {params['entry']['text']}")
        return errors

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def report_html(sample_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report.html of the sample run, unpacked from the report.zip that `snakemake --report` builds."""
    archive = RUN_DIR / "report.zip"
    run_snakemake(sample_run, "--config", "source=sample", "--report", str(archive))
    unpacked = tmp_path_factory.mktemp("report")
    with zipfile.ZipFile(sample_run / archive) as zipped:
        zipped.extractall(unpacked)
    return unpacked / "report" / "report.html"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[DevTools]:
    assert CHROMIUM is not None
    devtools = DevTools(CHROMIUM, tmp_path / "profile")
    yield devtools
    devtools.close()


def test_report_lists_every_figure_and_table_and_shows_them(
    sample_run: Path, report_html: Path, browser: DevTools, tmp_path: Path
) -> None:
    browser.send("Page.navigate", session=browser.session, url=report_html.as_uri())
    started = (
        "document.readyState === 'complete' && typeof app !== 'undefined' && document.querySelector('#app a') !== null"
    )
    browser.wait_for(started, "the start page")
    browser.screenshot(tmp_path / "report_start.png")

    results = browser.evaluate("results")
    categories = browser.evaluate("categories")
    expected = readme_files(sample_run)  # every report() output the workflow declares
    assert len(expected) > 20, f"the sample run's README.md lists only {expected}"
    missing = sorted(set(expected) - set(results))
    assert not missing, f"outputs of the run that the report does not list: {missing}"
    for path, entry in results.items():
        copy = report_html.parent / entry["data_uri"]
        assert copy.is_file(), f"{path}: the report links to a missing file"
        # A browser shows a truncated PNG without complaint: compare the bytes with the run's file.
        assert copy.read_bytes() == (sample_run / path).read_bytes(), f"{path}: the report's copy differs"
        assert entry["caption"].strip(), f"{path}: no caption in the report"

    def open_list(path: str) -> None:
        """Menu, category, subcategory of a result, clicked as a reader does (one subcategory: no second click)."""
        category, subcategory = next(
            (c, sub) for c, subs in categories.items() for sub, ps in subs.items() if path in ps
        )
        browser.evaluate("app.setView({navbarMode: 'menu'})")
        browser.click(category)
        if len(categories[category]) > 1:
            browser.click(subcategory)

    def show_image(path: str) -> int:
        """naturalWidth of a result's image in the content view (0: broken)."""
        uri = results[path]["data_uri"]
        browser.evaluate(f"app.setView({json.dumps({'content': 'img', 'contentPath': uri, 'resultPath': path})})")
        shown = f"document.querySelector('img[src={json.dumps(uri)}]')"
        return browser.wait_for(f"(img => img && img.complete && (img.naturalWidth || -1))({shown})", f"{path} shown")

    # Each category's list, reached by clicking through the menu as a reader does, names its files.
    listed = set()
    for category, subcategories in categories.items():
        for subcategory, paths in subcategories.items():
            open_list(paths[0])
            # A list shows paths, or the label values when every result of it has labels.
            labelled = all(results[path]["labels"] for path in paths)
            texts = {path: [str(v) for v in results[path]["labels"].values()] if labelled else [path] for path in paths}
            shown = browser.wait_for(
                f"document.body.innerText.includes({json.dumps(texts[paths[0]][0])}) && document.body.innerText",
                f"the list of {category} / {subcategory}",
            )
            listed |= {path for path in paths if all(text in shown for text in texts[path])}
    assert not sorted(set(expected) - listed), f"not shown in any category list: {sorted(set(expected) - listed)}"

    # Every image opens in the content view and decodes (a broken image has naturalWidth 0).
    images = sorted(path for path, entry in results.items() if entry["mime_type"].startswith("image/"))
    assert images, "the report holds no image"
    for path in images:
        assert show_image(path) > 0, f"{path}: broken image in the report"
    # Screenshots as a reader sees them: a figure beside its list, and a list of tables.
    figure = next((path for path in images if "fig5a" in path), images[0])
    open_list(figure)
    show_image(figure)
    browser.screenshot(tmp_path / "report_figure.png")
    open_list(next(path for path in expected if path.endswith(".csv")))
    browser.screenshot(tmp_path / "report_tables.png")
    print(f"\nreport screenshots in {tmp_path}")

    errors = browser.console_errors()
    assert not errors, f"the report page logged errors: {errors}"
