"""JWT authentication that reads the user from the cache.

simplejwt reads the user row on every request. The row rarely changes, and a
booking server would otherwise spend a query per request on it. Each save or
delete of a user drops its entry (``accounts.signals``), so a deactivation,
role change or new password applies from the next request; the entry also
expires after ``USER_CACHE_SECONDS`` whatever happens.

The token itself is checked once per process: its signature and claims
cannot change, so a token that passed is remembered until its ``exp`` and
later requests with the same bytes skip the decode (a tenth of a booking's
instructions went to the JWT and the user lookup). The user is still looked
up on every request, so a deactivated or deleted user is refused as before.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User

logger = logging.getLogger(__name__)

# Tokens this process has verified, by their bytes. Only a token that passed
# every check gets in (a forged one cannot fill it); past the bound it starts over.
VERIFIED_TOKENS_MAX = 10_000
_verified_tokens: dict[bytes, tuple[object, float]] = {}  # token, its exp


def user_cache_key(user_id) -> str:
    return f"accounts:user:{user_id}"


def cached_user(user_id) -> User | None:
    """The user with this id, from the cache or else the database (without the password hash).

    The cache only saves a query: when it is unreachable, the user is read
    from the database and the request goes on.
    """
    key = user_cache_key(user_id)
    try:
        user = cache.get(key)
    except Exception as error:  # Redis down or timing out: any of its client's errors
        # One line, no traceback: while Redis is down every signed-in request passes here.
        logger.warning(
            "User cache unavailable (%s); reading the user from the database", type(error).__name__
        )
        return _user_row(user_id)
    if user is None:
        user = _user_row(user_id)
        if user is not None:
            cache.set(key, user, settings.USER_CACHE_SECONDS)
    return user


def _user_row(user_id) -> User | None:
    return User.objects.defer("password").filter(pk=user_id).first()


class CachedUserJWTAuthentication(JWTAuthentication):
    """``JWTAuthentication`` with the user looked up through ``cached_user`` and each token verified once."""

    def get_validated_token(self, raw_token):
        """The token, verified by simplejwt the first time this process sees it, remembered until it expires.

        Nothing a later request could find wrong with the same bytes depends
        on anything but the clock (the signing key is fixed for the process),
        so a remembered token is only re-checked against ``exp``; an expired
        one goes through simplejwt again and is refused with its usual error.
        """
        token, expires = _verified_tokens.get(raw_token, (None, 0.0))
        if expires > time.time():
            return token
        token = super().get_validated_token(raw_token)
        if len(_verified_tokens) >= VERIFIED_TOKENS_MAX:
            _verified_tokens.clear()
        # A number by now: PyJWT read it with int() and simplejwt compared it with the clock.
        _verified_tokens[raw_token] = (token, float(token.payload["exp"]))
        return token

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken(_("Token contained no recognizable user identification")) from None
        user = cached_user(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        return user


class CachedUserJWTScheme(SimpleJWTScheme):
    """Documents it as the bearer JWT scheme it is."""

    target_class = CachedUserJWTAuthentication
