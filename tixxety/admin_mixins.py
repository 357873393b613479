"""Pieces every app's admin shares: read-only models and writes through the services."""

from django.contrib import messages
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
