"""Keep the authentication cache true to the users table."""

import logging

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.authentication import user_cache_key
from accounts.models import User
from tixxety.jobs import run_after_commit

logger = logging.getLogger(__name__)


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def forget_cached_user(sender, instance: User, **kwargs) -> None:
    """Drop the user's entry now and again after commit.

    The second delete catches a request that read the old row before the
    commit and cached it after the first delete. A cache that is down fails
    neither delete's caller: while it is down nothing is read from it, and an
    entry it still holds when it comes back expires after
    ``USER_CACHE_SECONDS``.
    """
    key = user_cache_key(instance.pk)
    try:
        cache.delete(key)
    except Exception as error:  # Redis down or timing out: any of its client's errors
        logger.warning("User cache unavailable; %s not dropped: %s", key, type(error).__name__)
    run_after_commit(lambda: cache.delete(key), what="drop cached user")
