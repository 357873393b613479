"""django-redis' cache with django-prometheus' cache figures, at a fraction of its wrapper's cost.

django-prometheus' ``RedisCache.get`` calls ``labels(backend="redis")`` two
or three times a read; the user lookup of every signed-in request is one.
This counts the same families (``django_cache_get_total``, hits, misses,
failures, label ``backend="redis"``) with the children bound once.
"""

from django_prometheus.cache import metrics
from django_redis.cache import RedisCache

from tixxety.metric_children import child


class CountingRedisCache(RedisCache):
    def get(self, key, default=None, version=None, client=None):
        child(metrics.django_cache_get_total, "redis").inc()
        try:
            # django-redis' own get: with DJANGO_REDIS_IGNORE_EXCEPTIONS an outage reads as a miss.
            value = super().get(key, default=None, version=version, client=client)
        except Exception:
            child(metrics.django_cache_get_fail_total, "redis").inc()
            raise
        if value is None:
            child(metrics.django_cache_misses_total, "redis").inc()
            return default
        child(metrics.django_cache_hits_total, "redis").inc()
        return value
