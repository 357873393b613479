"""State changes for accounts: registration, profile and admin user management."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User, UserManager
from accounts.tasks import user_welcome_send_task
from tixxety.exceptions import EmailAlreadyRegistered, SelfLockout
from tixxety.outbox import outbox_send
from tixxety.services import check_fields

# What a user may change on their own profile, and what an admin may change on any account.
PROFILE_WRITABLE_FIELDS = ("name", "address", "latitude", "longitude")
ADMIN_WRITABLE_FIELDS = ("email", *PROFILE_WRITABLE_FIELDS, "role", "is_active")


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None


def _check_location(user: User) -> None:
    if (user.latitude is None) != (user.longitude is None):
        raise ValidationError({"latitude": "Latitude and longitude must be set together."})


def _check_email_free(user: User) -> None:
    """Lower-case the user's e-mail; EmailAlreadyRegistered if another account has it."""
    user.email = UserManager.normalize_email(user.email)
    if User.objects.filter(email=user.email).exclude(pk=user.pk).exists():
        raise EmailAlreadyRegistered()


def _save_unique_email(user: User, **save_options) -> None:
    """Save; a concurrent save of the same e-mail loses cleanly."""
    try:
        with transaction.atomic():
            user.save(**save_options)
    except IntegrityError:
        # The unique index settled a race the exists() check could not see.
        raise EmailAlreadyRegistered() from None


def _insert_user(user: User, password: str) -> User:
    _check_email_free(user)
    _check_password(password, user)
    _check_location(user)
    user.set_password(password)
    _save_unique_email(user, force_insert=True)
    return user


@transaction.atomic
def user_register(
    *,
    email: str,
    name: str,
    password: str,
    address: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> User:
    """Create a customer account; its welcome e-mail goes through the outbox.

    Raises EmailAlreadyRegistered for a taken address (case-insensitive) and
    ValidationError for a password the validators refuse.
    """
    user = User(email=email, name=name, address=address, latitude=latitude, longitude=longitude)
    _insert_user(user, password)
    outbox_send(user_welcome_send_task, user.pk)
    return user


@transaction.atomic
def user_create(*, email: str, name: str, password: str, role: str = User.Role.CUSTOMER, **fields) -> User:
    """Create an account on an admin's behalf, with any role; no welcome mail.

    Besides the named arguments only profile fields are written (NotWritable).
    """
    check_fields(fields, PROFILE_WRITABLE_FIELDS, what="user_create")
    user = User(email=email, name=name, role=role, **fields)
    return _insert_user(user, password)


@transaction.atomic
def user_update_profile(*, user: User, **changes) -> User:
    """Change a user's own profile: name, address and location (NotWritable for anything else)."""
    check_fields(changes, PROFILE_WRITABLE_FIELDS, what="user_update_profile")
    for field, value in changes.items():
        setattr(user, field, value)
    _check_location(user)
    user.save(update_fields=[*changes])
    return user


@transaction.atomic
def user_update(*, user: User, by: User, **changes) -> User:
    """Change any account as an admin, including its role and whether it is active.

    An admin cannot demote or deactivate their own account (SelfLockout), so
    the platform never loses its last way in by accident. A deactivated user
    can no longer obtain tokens, and tokens already issued stop working. A
    new e-mail is stored lower-cased and must be free (EmailAlreadyRegistered).
    """
    check_user_update(user=user, by=by, changes=changes)
    for field, value in changes.items():
        setattr(user, field, value)
    _check_location(user)
    if "email" in changes:
        _check_email_free(user)
    _save_unique_email(user, update_fields=[*changes])
    return user


def check_user_update(*, user: User, by: User, changes: dict) -> None:
    """Refuse what ``user_update`` refuses before looking at the row: unknown fields, self-lockout.

    ``user`` is the stored account. Admin forms call this to show the
    refusal in the form; ``user_update`` calls it again when it writes.
    """
    check_fields(changes, ADMIN_WRITABLE_FIELDS, what="user_update")
    if user.pk == by.pk and (
        changes.get("role", user.role) != User.Role.ADMIN or changes.get("is_active", True) is False
    ):
        raise SelfLockout()
