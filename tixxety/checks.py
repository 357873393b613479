import dramatiq
from django.conf import settings
from django.core.checks import Error, Warning, register
from dramatiq.brokers.stub import StubBroker

from tixxety.static_manifest import static_files_problem


@register(deploy=True)
def check_broker_is_shared(app_configs, **kwargs):
    """The in-memory broker only works inside the one development process."""
    if isinstance(dramatiq.get_broker(), StubBroker):
        return [
            Warning(
                "Background jobs use the in-memory development broker.",
                hint="Set REDIS_URL (or DRAMATIQ_BROKER_URL) so workers and web processes share a broker.",
                id="tixxety.W001",
            )
        ]
    return []


@register(deploy=True)
def check_rate_limits_are_shared(app_configs, **kwargs):
    """Without Redis each process counts rate limits alone (django-ratelimit's checks are silenced then)."""
    backend = settings.CACHES[settings.RATELIMIT_USE_CACHE]["BACKEND"]
    if backend.endswith("LocMemCache"):
        return [
            Warning(
                "Rate limits are counted in each process's memory: N processes let a client through N times.",
                hint="Set REDIS_URL so every web process shares one count.",
                id="tixxety.W002",
            )
        ]
    return []


@register(deploy=True)
def check_static_files_collected(app_configs, **kwargs):
    """Without ``collectstatic`` the manifest storage turns every HTML page into a 500."""
    if problem := static_files_problem():
        return [
            Error(
                f"Static files are not collected: {problem}.",
                hint="Run `manage.py collectstatic --noinput` at build or deploy time (the Dockerfile does).",
                id="tixxety.E001",
            )
        ]
    return []
