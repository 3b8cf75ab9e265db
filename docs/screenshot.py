"""Takes the home page's screenshot (docs/images/campaign-page.png): the demo's campaign page.

    .venv/bin/python -m devstack run --profile test -- .venv/bin/python docs/screenshot.py

Against the test profile's services: a database of its own (``<name>_docs``, made and migrated
here, filled by ``manage.py load_demo --no-live``), the site served by gunicorn on a free port
as production serves it, and Debian's Chromium through Playwright, as the browser tests drive it.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.process import free_port, wait_for_port  # noqa: E402
from devstack.processes import web_command  # noqa: E402

OUT = ROOT / "docs" / "images" / "campaign-page.png"
PAGE = "/campaigns/amanda-palmer-the-new-record-art-book-and-tour/"
VIEWPORT = {"width": 1280, "height": 860}


def docs_database() -> str:
    import psycopg

    url = urlsplit(os.environ["DATABASE_URL"])
    name = f"{url.path.lstrip('/')}_docs"
    with psycopg.connect(urlunsplit(url._replace(path="/postgres")), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(url._replace(path=f"/{name}"))


def main() -> None:
    env = {**os.environ, "DATABASE_URL": docs_database(), "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING"}
    for step in (["migrate", "--no-input", "-v", "0"], ["load_demo", "--no-live"]):
        subprocess.run([sys.executable, "manage.py", *step], cwd=ROOT, env=env, check=True)
    port = free_port()
    web = subprocess.Popen(web_command(python=sys.executable, bind=f"127.0.0.1:{port}"), cwd=ROOT, env=env)
    try:
        wait_for_port(port, timeout=60, what="gunicorn")
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium-headless-shell",
                args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
            )
            page = browser.new_page(viewport=VIEWPORT, locale="en-US", timezone_id="America/New_York")
            page.goto(f"http://127.0.0.1:{port}{PAGE}", wait_until="networkidle")
            page.screenshot(path=str(OUT))
            browser.close()
    finally:
        web.terminate()
        web.wait(timeout=30)
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
