"""Admin pages that do not apply to Tixxety."""

from django.contrib import admin
from django.contrib.auth.models import Group
from django_dramatiq.models import Task

# Access follows User.role, not groups; and job history is not recorded
# (django-dramatiq's AdminMiddleware would write a row per message).
admin.site.unregister(Group)
admin.site.unregister(Task)
