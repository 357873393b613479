"""Forms of the account pages; the services decide, the forms only shape the input."""

from django import forms

from accounts.models import User


class SignupForm(forms.Form):
    name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters, not only digits, not a common password.",
    )


class ProfileForm(forms.Form):
    """Name, address and home location (used for events near you); both coordinates or neither."""

    name = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    address = forms.CharField(max_length=255, required=False)
    latitude = forms.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        help_text="Decimal degrees, e.g. 40.7128. Leave both empty to clear your location.",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    longitude = forms.FloatField(
        required=False,
        min_value=-180,
        max_value=180,
        help_text="Decimal degrees, e.g. -74.006.",
        widget=forms.NumberInput(attrs={"step": "any"}),
    )

    @classmethod
    def for_user(cls, user: User, data=None) -> "ProfileForm":
        initial = {field: getattr(user, field) for field in cls.base_fields}
        return cls(data, initial=initial)
