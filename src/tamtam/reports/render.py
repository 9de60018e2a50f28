"""Rendering a built report: a self-contained HTML document (inline CSS, SVG charts, logo as a data
URI), a CSV of every table, and a PDF printed from the HTML by headless Chromium.

Chromium (Debian's /usr/bin/chromium, TAMTAM_CHROMIUM to change) prints exactly what the browser
shows, charts included, with no other PDF toolkit to install. It runs with a throw-away profile,
without GPU or network services; the page has no script and no external resource.
"""

from __future__ import annotations

import atexit
import csv
import io
import logging
import queue
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from tamtam.reports.services import Built

log = logging.getLogger(__name__)
PDF_TIMEOUT_S = 60
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
    "--hide-scrollbars",
]


class PdfError(RuntimeError):
    pass


def cell(value: Any) -> str:
    """A table value as the reader sees it: localised numbers, a dash for "not measured"."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    if isinstance(value, (float, Decimal)):
        decimals = 0 if float(value).is_integer() and isinstance(value, float) else 2
        if isinstance(value, float) and not float(value).is_integer():
            decimals = 1 if abs(value) >= 10 else 2
        return number_format(value, decimal_pos=decimals, force_grouping=True)
    return str(value)


def html(built: Built, *, for_email: bool = False, page: bool = False) -> str:
    """`for_email`: no SVG (mail clients drop it; the PDF attached has the charts). `page`: the body
    only, to include in the app's own layout."""
    context = {"r": built, "for_email": for_email, "page": page}
    return render_to_string("reports/document.html" if not page else "reports/_body.html", context)


def to_csv(built: Built) -> str:
    """Every table of every section, one after the other, each headed by its section (and table)
    name. Raw values: numbers unformatted, an empty cell when nothing was measured."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([built.title, built.workspace.name, built.start.isoformat(), built.end.isoformat()])
    for section in built.sections:
        writer.writerow([])
        writer.writerow([section.title])
        if section.empty or section.unavailable:
            writer.writerow([section.message])
            continue
        for table in section.tables:
            if table.title:
                writer.writerow([table.title])
            writer.writerow(table.columns)
            for row in table.rows:
                writer.writerow(["" if v is None else v for v in row])
        for note in section.notes:
            writer.writerow([note])
    return out.getvalue()


def chromium_path() -> Path:
    return Path(getattr(settings, "CHROMIUM_PATH", "") or "/usr/bin/chromium")


def html_to_pdf(document: str, timeout: float = PDF_TIMEOUT_S) -> bytes:
    binary = chromium_path()
    if not binary.exists():
        raise PdfError(
            _("PDF needs Chromium at %(path)s (apt-get install chromium, or set TAMTAM_CHROMIUM)")
            % {"path": binary}
        )
    with tempfile.TemporaryDirectory(prefix="tamtam-pdf-") as tmp:
        folder = Path(tmp)
        source, target = folder / "report.html", folder / "report.pdf"
        source.write_text(document, encoding="utf-8")
        command = [
            str(binary),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={folder / 'profile'}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        started = time.monotonic()
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(_("Chromium did not print the PDF within %(s)s s") % {"s": int(timeout)}) from None
        if not target.exists() or target.stat().st_size == 0:
            tail = done.stderr.decode(errors="replace")[-300:]
            log.error("chromium failed (exit %s): %s", done.returncode, tail)
            raise PdfError(
                _("Chromium could not print the PDF (exit code %(code)s)") % {"code": done.returncode}
            )
        log.info("report PDF printed in %.2f s", time.monotonic() - started)
        return target.read_bytes()


class WarmChromium:
    """One headless Chromium kept running in this process and driven by Playwright, so that a PDF
    costs a page load instead of a browser start (seconds on a busy machine). Playwright's sync API
    is bound to the thread that started it: one daemon thread owns the browser and prints the jobs
    queued by any request thread, one at a time."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[str, Future[bytes]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def print(self, document: str, timeout: float) -> bytes:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tamtam-pdf", daemon=True)
                self._thread.start()
        job: Future[bytes] = Future()
        self._jobs.put((document, job))
        return job.result(timeout=timeout)

    def stop(self) -> None:
        """Close the browser before the interpreter goes (a browser left to die with it crashes)."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._jobs.put(None)
            thread.join(timeout=10)

    def _run(self) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_FLAGS)
                # One context and one page for every PDF: a new context costs about a second on a
                # busy machine, more than the print itself. The page holds no state between
                # reports: set_content replaces the whole document, which has no script, cookie or
                # storage, and nothing is fetched from anywhere.
                context = browser.new_context(java_script_enabled=False, offline=True)
                page = None
                while True:
                    item = self._jobs.get()
                    if item is None:
                        break
                    document, job = item
                    if not job.set_running_or_notify_cancel():
                        continue
                    try:
                        if page is None or page.is_closed():
                            page = context.new_page()
                        # Everything is inline (CSS, SVG, logo as a data URI, local fonts): once the
                        # DOM is parsed there is nothing left to load, so "load" would only wait.
                        page.set_content(document, wait_until="domcontentloaded")
                        job.set_result(page.pdf(print_background=True, prefer_css_page_size=True))
                    except Exception as exc:  # handed to the caller; the next job gets a new page
                        job.set_exception(exc)
                        if page is not None:
                            try:
                                page.close()
                            except Exception:
                                log.warning("could not close the failed PDF page")
                            page = None
        except Exception as exc:
            log.exception("the PDF browser stopped")
            while not self._jobs.empty():  # nobody waits forever on a browser that is gone
                pending = self._jobs.get()
                if pending is not None:
                    pending[1].set_exception(exc)


_warm = WarmChromium()
atexit.register(_warm.stop)


def _has_playwright() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def to_pdf(built: Built, document: str | None = None) -> bytes:
    """Through the warm browser when Playwright is installed, else one Chromium run per PDF.
    `document`: the HTML of `built` when the caller has already rendered it (not rendered twice)."""
    document = html(built) if document is None else document
    if not chromium_path().exists() or not _has_playwright():
        return html_to_pdf(document)
    started = time.monotonic()
    try:
        data = _warm.print(document, PDF_TIMEOUT_S)
    except Exception as exc:
        log.warning("warm PDF browser failed (%s); printing with a one-off Chromium", type(exc).__name__)
        return html_to_pdf(document)
    log.info("report PDF printed in %.2f s (warm browser)", time.monotonic() - started)
    return data
