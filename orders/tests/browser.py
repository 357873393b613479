"""Helpers for the page tests in a real browser: pages that stay offline, axe-core, screenshots."""

import json
import re
from pathlib import Path

from django.conf import settings

from accounts.tests.factories import PASSWORD

AXE = (Path(settings.BASE_DIR) / "tixxety/tests/vendor/axe-core/axe.min.js").read_text()
# Git-ignored: screenshots and accessibility results of the last run, for people to look at.
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts/pages"
BLOCKING_IMPACTS = ("serious", "critical")


def new_page(browser, **context_options):
    """A new browser context and page that may reach only this machine.

    ``page.problems`` collects console errors, uncaught exceptions and any
    request to another host, so a test can assert that there were none.
    """
    context = browser.new_context(**context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = []
    page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
    page.on("pageerror", lambda error: page.problems.append(str(error)))

    def route(request_route):
        host = request_route.request.url.split("/")[2].split(":")[0]
        if host in ("127.0.0.1", "localhost"):
            request_route.continue_()
        else:
            page.problems.append(f"external request: {request_route.request.url}")
            request_route.abort()

    page.route("**/*", route)
    return page


def sign_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def check_page(page, name: str) -> list[dict]:
    """Run axe-core in the page, save a screenshot and the result; return the blocking violations.

    Blocking means an impact of serious or critical.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    page.evaluate(AXE)
    result = page.evaluate("axe.run()")
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [node["target"] for node in v["nodes"]],
        }
        for v in result["violations"]
    ]
    (ARTIFACTS / f"{name}.axe.json").write_text(
        json.dumps({"url": page.url, "passes": len(result["passes"]), "violations": violations}, indent=2)
    )
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def static_bytes(page) -> int:
    """Uncompressed bytes of the files the page loaded from /static/."""
    return page.evaluate(
        "performance.getEntriesByType('resource')"
        ".filter(entry => new URL(entry.name).pathname.startsWith('/static/'))"
        ".reduce((total, entry) => total + entry.decodedBodySize, 0)"
    )


def scrolls_sideways(page) -> bool:
    """Whether the page is wider than the screen.

    Compared with the viewport, not ``innerWidth``: a mobile browser widens
    its layout viewport to fit content that is too wide, hiding the overflow.
    """
    return page.evaluate("document.documentElement.scrollWidth") > page.viewport_size["width"]


ORDER_URL = re.compile(r"/orders/TX-[A-Z0-9]+/$")
