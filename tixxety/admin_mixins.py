"""Pieces every app's admin shares: read-only models, writes through the services, bad input answered."""

from django.contrib import messages
from django.contrib.admin import widgets
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect

from tixxety.exceptions import DomainError


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes these rows in the admin; services own them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceErrorsMixin:
    """Turn a DomainError raised by a service into an admin error message.

    Forms ask the services' rules first, to show a refusal next to the
    field; this catches what the services still refuse at write time (a
    booking landed between the form check and the write). The admin wraps
    its add, change and delete views in a transaction, so by the time the
    error reaches here everything the view wrote is rolled back.
    """

    def _refused(self, request, error: DomainError):
        self.message_user(request, error.detail, messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            return self._refused(request, error)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as error:
            return self._refused(request, error)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except DomainError as error:
            return self._refused(request, error)


def adopt_created(obj, created) -> None:
    """Copy a row a service just inserted onto the admin's unsaved instance.

    The admin keeps using the instance it built from the form (inline
    formsets hang off it and the redirect reads its pk), while the service
    returns an object of its own.
    """
    for field in type(obj)._meta.concrete_fields:
        setattr(obj, field.attname, getattr(created, field.attname))
    obj._state.adding = False
    obj._state.db = created._state.db


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
