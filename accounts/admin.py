"""Accounts in the Django admin.

Every write goes through ``accounts.services``, the same functions the API
calls, so the admin keeps the API's rules: an admin cannot demote or
deactivate their own account here either. The change form asks the
service's rules in ``clean()`` to show a refusal in the form; the service
checks them again when it writes.
"""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import forms as auth_forms

from accounts.models import User
from accounts.services import check_user_update, user_create, user_update
from tixxety.admin_mixins import ServiceErrorsMixin, adopt_created
from tixxety.exceptions import DomainError


class UserCreationForm(auth_forms.BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name", "role")


class UserChangeForm(auth_forms.UserChangeForm):
    # The admin making the change; UserAdmin.get_form sets it per request.
    changed_by: User | None = None

    class Meta:
        model = User
        fields = "__all__"

    def changes(self) -> dict:
        """The fields the admin changed, as ``user_update`` takes them."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name in self.cleaned_data}

    def clean(self):
        cleaned = super().clean()
        # The instance still holds the stored row: the form copies its values
        # onto it only after clean().
        try:
            check_user_update(user=self.instance, by=self.changed_by, changes=self.changes())
        except DomainError as error:
            self.add_error(None, error.detail)
        return cleaned


@admin.register(User)
class UserAdmin(ServiceErrorsMixin, auth_admin.UserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "name", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email", "name")
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "address", "latitude", "longitude")}),
        ("Access", {"fields": ("role", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "name", "role", "password1", "password2")}),
    )

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            return form
        return type(form.__name__, (form,), {"changed_by": request.user})

    def save_model(self, request, obj, form, change):
        if not change:
            fields = {name: form.cleaned_data[name] for name in ("email", "name", "role")}
            adopt_created(obj, user_create(**fields, password=form.cleaned_data["password1"]))
            return
        if changes := form.changes():
            # The form has already copied its values onto obj; the service
            # compares against the stored row.
            user_update(user=User.objects.get(pk=obj.pk), by=request.user, **changes)
