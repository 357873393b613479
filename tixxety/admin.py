"""Admin pages of the ground floor: the outbox, and those that do not apply to Tixxety."""

from django.contrib import admin
from django.contrib.auth.models import Group
from django_dramatiq.models import Task

from tixxety.admin_mixins import ReadOnlyAdminMixin
from tixxety.models import OutboxMessage

# Access follows User.role, not groups; and job history is not recorded
# (django-dramatiq's AdminMiddleware would write a row per message).
admin.site.unregister(Group)
admin.site.unregister(Task)


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What is waiting to be delivered, and why its last attempt failed (README, "When Redis is down")."""

    list_display = [
        "id",
        "actor_name",
        "args",
        "created_at",
        "sent_at",
        "attempts",
        "available_at",
        "last_error",
    ]
    list_filter = [("sent_at", admin.EmptyFieldListFilter), "actor_name"]
    ordering = ["-id"]
