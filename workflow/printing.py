"""HTML reports to PDF with headless Chromium's print, so the PDF is what the HTML shows."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from states.i18n import N_
from workflow.errors import InvalidInput

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str | None:
    """The headless browser on PATH, if any."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def html_to_pdf(html: str, timeout: int = 120) -> bytes:
    """Print *html* (self-contained) to PDF; a refusal says what to install when it cannot."""
    browser = chromium()
    if browser is None:
        raise InvalidInput(
            N_("PDF needs headless Chromium (apt-get install chromium); use --format html")
        )
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        pdf = Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        try:
            subprocess.run(
                [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                check=True, capture_output=True, timeout=timeout,
            )  # fmt: skip
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            raise InvalidInput(
                N_("Chromium could not print the report ({reason})"), reason=type(exc).__name__
            ) from None
        if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
            raise InvalidInput(N_("Chromium printed no PDF"))
        return pdf.read_bytes()
