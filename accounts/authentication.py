"""JWT authentication that reads the user from the cache.

simplejwt reads the user row on every request. The row rarely changes, and a
booking server would otherwise spend a query per request on it. Each save or
delete of a user drops its entry (``accounts.signals``), so a deactivation,
role change or new password applies from the next request; the entry also
expires after ``USER_CACHE_SECONDS`` whatever happens.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User

logger = logging.getLogger(__name__)


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
    """``JWTAuthentication`` with the user looked up through ``cached_user``."""

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
