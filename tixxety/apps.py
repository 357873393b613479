from django.apps import AppConfig


class TixxetyConfig(AppConfig):
    """The project package as an app: its own commands (rundev, healthcheck), jobs and checks."""

    name = "tixxety"
    verbose_name = "Tixxety"

    def ready(self):
        from tixxety import checks  # noqa: F401  (registers the system checks)
        from tixxety.api.ascii_integers import require_ascii_integers

        require_ascii_integers()
