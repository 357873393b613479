from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes these rows in the admin; services own them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DateHierarchyChangeList(ChangeList):
    """Django's changelist, with a date drill-down out of ``datetime``'s range treated as a bad filter.

    ``?starts_at__year=99999999999`` overflows ``datetime``, and ``year=9999``
    overflows when Django computes the end of that year: Django checks only
    the start date for ValueError, so both were 500s. A bad filter sends the
    admin back to the unfiltered list with Django's "?e=1" notice instead.
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            raise IncorrectLookupParameters(error) from error


class DateHierarchyGuardMixin:
    """For a ModelAdmin with ``date_hierarchy``: see DateHierarchyChangeList."""

    def get_changelist(self, request, **kwargs):
        return DateHierarchyChangeList
