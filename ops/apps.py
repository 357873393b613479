from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operator commands that work across apps (``seed_demo``, later the ``tix`` console).

    The right-most app: it may import every other app, and none imports it.
    """

    name = "ops"
    verbose_name = "Operations"
