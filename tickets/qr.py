"""QR codes of ticket secrets, as PNG and SVG bytes.

The code carries the secret and nothing else: a door scanner looks the
secret up, so the image never needs to change when the ticket does.
"""

from io import BytesIO

import qrcode
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathFillImage

# M recovers ~15% damage (a cracked phone screen, a crease in a printout) while
# keeping a 32-character secret at version 3 (29 x 29 modules).
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
BOX_SIZE = 10  # pixels per module in the PNG
BORDER = 4  # the quiet zone the QR specification asks for, in modules


def _qr(payload: str) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=BOX_SIZE, border=BORDER)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr


def qr_png(payload: str) -> bytes:
    """Return a black-on-white PNG of ``payload`` (370 px square for a ticket secret)."""
    buffer = BytesIO()
    _qr(payload).make_image(image_factory=PilImage).save(buffer)
    return buffer.getvalue()


def qr_svg(payload: str) -> bytes:
    """Return a standalone SVG document of ``payload``: one path on a white background.

    The white background keeps the code scannable when a dark page shows it.
    """
    buffer = BytesIO()
    _qr(payload).make_image(image_factory=SvgPathFillImage).save(buffer)
    return buffer.getvalue()
