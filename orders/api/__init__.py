"""The orders API, a module per resource: ``orders`` (book, orders, payments), ``cart``, ``queue``.

Pieces several modules share are public: ``orders.order_data`` (an order as
the requester sees it) and ``idempotency`` (``@idempotent`` and its OpenAPI
header). The URLs are in ``orders.api_urls``.
"""
