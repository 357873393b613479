import dramatiq
from django.core.checks import Warning, register
from dramatiq.brokers.stub import StubBroker


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
