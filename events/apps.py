from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and catalogue"

    def ready(self):
        from events.receivers import bump_catalogue_on_change
        from events.signals import catalogue_changed

        catalogue_changed.connect(bump_catalogue_on_change, dispatch_uid="events.bump_catalogue_on_change")
