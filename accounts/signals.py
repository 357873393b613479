"""Keep the authentication cache true to the users table."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.authentication import user_cache_key
from accounts.models import User
from tixxety.jobs import run_after_commit


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def forget_cached_user(sender, instance: User, **kwargs) -> None:
    """Drop the user's entry now and again after commit.

    The second delete catches a request that read the old row before the
    commit and cached it after the first delete.
    """
    key = user_cache_key(instance.pk)
    cache.delete(key)
    run_after_commit(lambda: cache.delete(key), what="drop cached user")
