from django.contrib.admin import widgets
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError


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


class AutocompleteSelect(widgets.AutocompleteSelect):
    """Django's autocomplete widget, showing a submitted value that cannot be a key as no selection.

    To label the selection, Django filters the related model by the submitted
    value: re-showing a form whose ``venue`` was "abc" raised ValueError, a
    500 instead of the form with its "Select a valid choice" error.
    """

    def optgroups(self, name, value, attr=None):
        related = self.field.remote_field
        key = related.model._meta.get_field(related.field_name)
        return super().optgroups(name, [each for each in value if _is_key(key, each)], attr)


def _is_key(field, value) -> bool:
    try:
        field.to_python(value)
    except ValidationError:
        return False
    return True


class BadInputAdminMixin:
    """A ModelAdmin whose date drill-down and autocomplete fields answer bad input without a 500."""

    def get_changelist(self, request, **kwargs):
        return DateHierarchyChangeList

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
