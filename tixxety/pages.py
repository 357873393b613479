"""Helpers shared by the server-rendered pages of every app."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tixxety.exceptions import DomainError

# Sentinel returned by ``call_service`` when the service refused and the form now carries why.
REFUSED = object()


def call_service(form: forms.Form, service: Callable[..., Any], **kwargs) -> Any:
    """Call ``service``; on a refusal put its words on ``form`` and return ``REFUSED``.

    A DomainError becomes a form-wide error with the same ``detail`` the API
    answers (and its ``code`` on the ValidationError); a Django
    ValidationError from a service (a password the validators refuse, a
    half-set location) lands on the fields it names.
    """
    try:
        return service(**kwargs)
    except DomainError as error:
        form.add_error(None, ValidationError(error.detail, code=error.code))
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, error)
    return REFUSED
