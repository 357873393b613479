"""JWTs that refuse claims simplejwt does not check the shape of.

simplejwt verifies a token's signature, type and expiry. A token that passes
those checks (signed with a leaked key, or by a bug elsewhere) but whose
``user_id`` is "abc", a list or past the bigint range, or whose ``exp`` is past
the platform's time range, ended in a 500: on every route for an access token,
on refresh for a refresh token. Such a token is invalid: 401, and a warning
line in the log.
"""

import logging

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import tokens
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings

logger = logging.getLogger(__name__)

MAX_USER_ID = 2**63 - 1  # the primary key is a bigint


def usable_user_id(claim) -> int | None:
    """The ``user_id`` claim as a primary key: an int, or a string of ASCII digits as simplejwt writes it."""
    if isinstance(claim, str) and len(claim) <= 19 and claim.isascii() and claim.isdigit():
        claim = int(claim)
    if type(claim) is int and 1 <= claim <= MAX_USER_ID:  # not bool
        return claim
    return None


class CheckedClaimsMixin:
    def verify(self):
        try:
            super().verify()
        except (OverflowError, ValueError):  # exp or iat past what datetime can hold
            logger.warning("Refused a signed token with an out-of-range time claim")
            raise TokenError(_("Token is invalid")) from None
        claim = self.payload.get(api_settings.USER_ID_CLAIM)
        if usable_user_id(claim) is None:
            logger.warning("Refused a signed token whose user id is unusable: %.40r", claim)
            raise TokenError(_("Token contained no recognizable user identification"))


class AccessToken(CheckedClaimsMixin, tokens.AccessToken):
    pass


class RefreshToken(CheckedClaimsMixin, tokens.RefreshToken):
    access_token_class = AccessToken
