"""Fixtures for the page tests in a real browser."""

import pytest

from orders.tests.browser import new_page


@pytest.fixture
def open_page(browser):
    """Open pages in fresh browser contexts; all are closed after the test.

    Closing matters: an open context keeps its HTTP connections, and each
    keeps a live-server thread holding a database connection.
    """
    contexts = []

    def open_one(**context_options):
        page = new_page(browser, **context_options)
        contexts.append(page.context)
        return page

    yield open_one
    for context in contexts:
        context.close()
