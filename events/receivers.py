"""What ``events`` does on its own notifications (connected in ``EventsConfig.ready``)."""

from events.cache import bump_catalogue_version


def bump_catalogue_on_change(sender, **kwargs) -> None:
    """Receiver for ``catalogue_changed`` and the ``orders`` notifications: cached reads are stale now."""
    bump_catalogue_version()
