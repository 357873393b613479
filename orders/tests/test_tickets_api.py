import re
from io import BytesIO
from xml.etree import ElementTree

import pytest
import qrcode.base
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from accounts.tests.factories import UserFactory
from events.services import seats_generate
from orders.services import order_pay, order_reserve
from orders.tests.factories import on_sale_event
from tickets import qr
from tickets.models import Ticket

pytestmark = pytest.mark.usefixtures("invariants")

SVG_NS = "{http://www.w3.org/2000/svg}"


def _reserve(user, quantity=1, *, paid=False, event=None, ticket_type=None):
    """Book ``quantity`` tickets through the booking service; pay for them if ``paid``."""
    if ticket_type is None:
        _, types = on_sale_event(Regular=50)
        ticket_type = types["Regular"]
    order = order_reserve(user=user, event_id=ticket_type.event_id, items=[(ticket_type.pk, quantity)])
    if paid:
        order = order_pay(order_id=order.pk, by=user, provider="test", token="tok_visa")
    return order


def _ticket(user, **kwargs) -> Ticket:
    return _reserve(user, **kwargs).tickets.get()


# --- list and detail ------------------------------------------------------------------------------------


def test_ticket_list_shows_only_own_tickets(customer_api, customer):
    # given tickets of two customers
    mine = _reserve(customer, 2, paid=True)
    _reserve(UserFactory(), 3)

    # when one lists their tickets
    response = customer_api.get("/api/tickets")

    # then only their own are listed
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None and body["previous"] is None
    tickets = body["results"]
    assert sorted(t["id"] for t in tickets) == sorted(mine.tickets.values_list("pk", flat=True))
    first = tickets[0]
    ticket = Ticket.objects.get(pk=first["id"])
    assert first["order"] == {"id": mine.pk, "code": mine.code}
    assert first["event"]["id"] == mine.event_id and first["event"]["title"] == mine.event.title
    assert first["event"]["starts_at"]
    assert first["ticket_type"] == {"id": ticket.ticket_type_id, "name": "Regular"}
    assert first["seat"] is None
    assert first["holder_name"] == customer.name
    assert first["status"] == "valid" and first["checked_in_at"] is None
    assert first["secret"] == ticket.secret
    assert first["qr_png"] == f"http://testserver/api/tickets/{ticket.pk}/qr.png"
    assert first["qr_svg"] == f"http://testserver/api/tickets/{ticket.pk}/qr.svg"


def test_ticket_list_shows_seat_labels_and_reserved_tickets(customer_api, customer):
    event, types = on_sale_event(Stalls=0)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=3)
    order_reserve(user=customer, event_id=event.pk, seat_ids=[event.seats.get(label="A2").pk])

    tickets = customer_api.get("/api/tickets/").json()["results"]

    assert [(t["seat"], t["status"]) for t in tickets] == [("A2", "reserved")]


def test_ticket_list_is_paginated_newest_order_first(customer_api, customer):
    older = _reserve(customer, 2)
    newer = _reserve(customer, 1)

    page = customer_api.get("/api/tickets", {"page_size": 2}).json()

    assert page["count"] == 3 and page["next"] and page["previous"] is None
    assert [t["order"]["code"] for t in page["results"]] == [newer.code, older.code]


def test_ticket_list_query_count_does_not_grow_with_tickets(
    customer_api, customer, django_assert_max_num_queries
):
    _reserve(customer, 1)
    with CaptureQueriesContext(connection) as one_ticket:
        assert customer_api.get("/api/tickets").json()["count"] == 1

    event, types = on_sale_event(VIP=10, Stalls=0)
    seats_generate(event=event, ticket_type=types["Stalls"], rows=1, seats_per_row=4)
    order_reserve(user=customer, event_id=event.pk, seat_ids=list(event.seats.values_list("pk", flat=True)))
    _reserve(customer, 5, paid=True, ticket_type=types["VIP"])
    _reserve(customer, 3, paid=True)

    # Authentication, count, page: a page of 13 tickets from 4 orders, 3 events and 4 types.
    with django_assert_max_num_queries(3):
        body = customer_api.get("/api/tickets").json()
    assert body["count"] == 13
    assert len(one_ticket.captured_queries) == 3


def test_ticket_detail_of_own_ticket(customer_api, customer):
    ticket = _ticket(customer, paid=True)

    response = customer_api.get(f"/api/tickets/{ticket.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == ticket.pk and response.json()["secret"] == ticket.secret
    assert customer_api.get(f"/api/tickets/{ticket.pk}/").status_code == 200


@pytest.mark.parametrize("suffix", ["", "/qr.png", "/qr.svg"])
def test_another_users_ticket_is_404_like_a_missing_one(customer_api, suffix):
    theirs = _ticket(UserFactory(), paid=True)

    response = customer_api.get(f"/api/tickets/{theirs.pk}{suffix}")
    missing = customer_api.get(f"/api/tickets/{theirs.pk + 1000}{suffix}")

    assert response.status_code == missing.status_code == 404
    assert (
        response.json()
        == missing.json()
        == {"detail": "No Ticket matches the given query.", "code": "not_found"}
    )
    assert theirs.secret not in response.content.decode()


@pytest.mark.parametrize("suffix", ["", "/qr.png", "/qr.svg"])
def test_staff_get_no_wider_view_of_tickets(staff_api, customer, suffix):
    ticket = _ticket(customer, paid=True)

    assert staff_api.get(f"/api/tickets/{ticket.pk}{suffix}").status_code == 404
    assert staff_api.get("/api/tickets").json()["count"] == 0


@pytest.mark.parametrize("suffix", ["", "/qr.png", "/qr.svg"])
def test_anonymous_is_401(api_client, customer, suffix):
    ticket = _ticket(customer, paid=True)

    response = api_client.get(f"/api/tickets/{ticket.pk}{suffix}")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert api_client.get("/api/tickets").status_code == 401


@pytest.mark.parametrize("path", ["/api/tickets/abc", "/api/tickets/1x/qr.png", "/api/tickets/-1/qr.svg"])
def test_non_numeric_id_is_404(customer_api, path):
    response = customer_api.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- QR codes -------------------------------------------------------------------------------------------


def test_qr_png_is_a_png_of_the_secret(customer_api, customer):
    ticket = _ticket(customer, paid=True)

    response = customer_api.get(f"/api/tickets/{ticket.pk}/qr.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert re.fullmatch(r"(private, max-age=\d+|max-age=\d+, private)", response["Cache-Control"])
    image = Image.open(BytesIO(response.content))
    assert image.format == "PNG"
    assert image.width == image.height and 200 <= image.width <= 1000
    assert _decode_png(response.content) == ticket.secret


def test_qr_svg_is_an_svg_document_of_the_secret(customer_api, customer):
    ticket = _ticket(customer, paid=True)

    response = customer_api.get(f"/api/tickets/{ticket.pk}/qr.svg/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "private" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    assert response.content.startswith((b"<?xml", b"<svg"))
    assert _parse_xml(response.content).tag == f"{SVG_NS}svg"
    assert _decode_svg(response.content) == ticket.secret


@pytest.mark.parametrize("image", ["qr.png", "qr.svg"])
def test_reserved_ticket_gets_its_qr_code_only_once_paid(customer_api, customer, image):
    """The door turns an unpaid ticket away, so its code is not shown until the order is paid."""
    order = _reserve(customer)
    ticket = order.tickets.get()

    unpaid = customer_api.get(f"/api/tickets/{ticket.pk}/{image}")
    order_pay(order_id=order.pk, by=customer, provider="test", token="tok_visa")
    paid = customer_api.get(f"/api/tickets/{ticket.pk}/{image}")

    assert unpaid.status_code == 409
    assert unpaid["Content-Type"] == "application/json"
    assert unpaid.json() == {
        "detail": "This ticket's order is not paid yet, so it has no QR code.",
        "code": "ticket_not_paid",
    }
    assert paid.status_code == 200
    decode = _decode_png if image == "qr.png" else _decode_svg
    assert decode(paid.content) == ticket.secret


def test_qr_is_served_whatever_the_client_accepts(customer_api, customer):
    ticket = _ticket(customer, paid=True)

    png = customer_api.get(f"/api/tickets/{ticket.pk}/qr.png", HTTP_ACCEPT="image/png")
    missing = customer_api.get(f"/api/tickets/{ticket.pk + 1000}/qr.svg", HTTP_ACCEPT="image/svg+xml")

    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"


def test_void_ticket_is_listed_but_has_no_qr_code(customer_api, customer):
    # given a cancelled order's void ticket
    order = _reserve(customer, 2)
    assert customer_api.post(f"/api/orders/{order.pk}/cancel").status_code == 200
    ticket = order.tickets.first()

    # when its owner lists it and asks for its QR code
    listed = customer_api.get("/api/tickets").json()["results"]
    png = customer_api.get(f"/api/tickets/{ticket.pk}/qr.png")
    svg = customer_api.get(f"/api/tickets/{ticket.pk}/qr.svg")

    # then it is listed as void and has no QR code
    assert [t["status"] for t in listed] == ["void", "void"]
    assert customer_api.get(f"/api/tickets/{ticket.pk}").json()["status"] == "void"
    for response in (png, svg):
        assert response.status_code == 409
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "This ticket is void (its order was cancelled, expired or refunded), "
            "so it has no QR code.",
            "code": "ticket_void",
        }


@pytest.mark.parametrize(
    "payload",
    [
        "TX-ABCDEFGH",
        "a" * 3 + "1234567890" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" + "tail",
        "x" * 80,
    ],
)
def test_qr_functions_decode_to_their_payload(payload):
    assert _decode_png(qr.qr_png(payload)) == payload
    assert _decode_svg(qr.qr_svg(payload)) == payload


def test_qr_schema_documents_binary_responses(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    png = schema["paths"]["/api/tickets/{id}/qr.png/"]["get"]["responses"]
    svg = schema["paths"]["/api/tickets/{id}/qr.svg/"]["get"]["responses"]
    assert png["200"]["content"]["image/png"]["schema"] == {"type": "string", "format": "binary"}
    assert svg["200"]["content"]["image/svg+xml"]["schema"] == {"type": "string", "format": "binary"}
    assert {"404", "409"} <= png.keys() and "/api/tickets/{id}/" in schema["paths"]


# --- a small QR decoder for clean, generated images (versions 1 to 6) -----------------------------------
#
# Reading the code back proves the image carries the secret, not merely that the
# encoder is deterministic. Only the error-correction block table comes from
# qrcode; placement, masking and the data modes follow ISO/IEC 18004 here.

MASKS = [
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
]
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _decode_png(content: bytes) -> str:
    image = Image.open(BytesIO(content)).convert("L")
    width = image.width
    dark = [[image.getpixel((x, y)) < 128 for x in range(width)] for y in range(image.height)]
    top, left = next((y, row.index(True)) for y, row in enumerate(dark) if True in row)
    box = next(n for n in range(left, width + 1) if n == width or not dark[top][n]) - left
    assert box % 7 == 0, "the finder pattern's top edge is 7 modules"
    box //= 7
    size = (width - 2 * left) // box
    matrix = [
        [dark[top + r * box + box // 2][left + c * box + box // 2] for c in range(size)] for r in range(size)
    ]
    return _decode_matrix(matrix)


def _parse_xml(content: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(content)  # noqa: S314 -- our own output, not untrusted input


def _decode_svg(content: bytes) -> str:
    svg = _parse_xml(content)
    extent = float(svg.get("viewBox").split()[2])
    squares = [
        tuple(map(float, m))
        for m in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V[\d.]+H[\d.]+z", svg.find(f"{SVG_NS}path").get("d"))
    ]
    unit = squares[0][2] - squares[0][0]
    origin = min(x for x, _, _ in squares)
    size = round((extent - 2 * origin) / unit)
    matrix = [[False] * size for _ in range(size)]
    for x, y, _ in squares:
        matrix[round((y - origin) / unit)][round((x - origin) / unit)] = True
    return _decode_matrix(matrix)


def _decode_matrix(matrix: list[list[bool]]) -> str:
    size = len(matrix)
    version = (size - 17) // 4
    assert 1 <= version <= 6 and size == 17 + 4 * version, f"unsupported size {size}"

    # Format information, the copy beside the top-left finder and down the left edge.
    rows = [*range(6), 7, 8, *range(size - 7, size)]
    format_bits = sum(matrix[r][8] << i for i, r in enumerate(rows)) ^ 0b101010000010010
    data = format_bits >> 10
    assert format_bits == (data << 10) | _bch(data), "format information fails its check"
    error_correction, mask = data >> 3, MASKS[data & 7]

    def is_function(r, c):
        near_finder = (r <= 8 and (c <= 8 or c >= size - 8)) or (r >= size - 8 and c <= 8)
        alignment = version > 1 and abs(r - (size - 7)) <= 2 and abs(c - (size - 7)) <= 2
        return near_finder or alignment or r == 6 or c == 6

    bits = []
    upward, col = True, size - 1
    while col > 0:
        if col == 6:
            col -= 1
        for r in range(size - 1, -1, -1) if upward else range(size):
            bits += [matrix[r][c] ^ mask(r, c) for c in (col, col - 1) if not is_function(r, c)]
        upward, col = not upward, col - 2
    codewords = [
        int("".join("1" if b else "0" for b in bits[i : i + 8]), 2) for i in range(0, len(bits) - 7, 8)
    ]

    blocks = qrcode.base.rs_blocks(version, error_correction)
    data_blocks = [[] for _ in blocks]
    stream = iter(codewords)
    for i in range(max(block.data_count for block in blocks)):
        for block, taken in zip(blocks, data_blocks, strict=True):
            if i < block.data_count:
                taken.append(next(stream))
    return _read_segments("".join(f"{byte:08b}" for taken in data_blocks for byte in taken))


def _read_segments(bits: str) -> str:
    text, at = [], 0

    def take(n):
        nonlocal at
        at += n
        return int(bits[at - n : at], 2)

    while at + 4 <= len(bits) and (mode := take(4)):
        if mode == 0b0100:
            text.append(bytes(take(8) for _ in range(take(8))).decode())
        elif mode == 0b0010:
            count = take(9)
            for _ in range(count // 2):
                text.append("".join(ALNUM[k] for k in divmod(take(11), 45)))
            if count % 2:
                text.append(ALNUM[take(6)])
        elif mode == 0b0001:
            count = take(10)
            for _ in range(count // 3):
                text.append(f"{take(10):03d}")
            if count % 3:
                text.append(f"{take(4 if count % 3 == 1 else 7):0{count % 3}d}")
        else:
            raise AssertionError(f"unexpected mode {mode:04b}")
    return "".join(text)


def _bch(data: int) -> int:
    remainder = data << 10
    for shift in range(4, -1, -1):
        if remainder & (1 << (shift + 10)):
            remainder ^= 0b10100110111 << shift
    return remainder
