"""State changes for accounts: registration, profile and admin user management."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User, UserManager
from accounts.tasks import user_welcome_send_task
from tixxety.exceptions import EmailAlreadyRegistered, SelfLockout
from tixxety.jobs import send_on_commit

PROFILE_FIELDS = frozenset({"name", "address", "latitude", "longitude"})
ADMIN_FIELDS = PROFILE_FIELDS | {"role", "is_active"}


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None


def _check_location(user: User) -> None:
    if (user.latitude is None) != (user.longitude is None):
        raise ValidationError({"latitude": "Latitude and longitude must be set together."})


def _insert_user(user: User, password: str) -> User:
    """Insert a new user; a concurrent insert of the same e-mail loses cleanly."""
    user.email = UserManager.normalize_email(user.email)
    if User.objects.filter(email=user.email).exists():
        raise EmailAlreadyRegistered()
    _check_password(password, user)
    _check_location(user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        # The unique index settled a race the exists() check could not see.
        raise EmailAlreadyRegistered() from None
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
    """Create a customer account and queue its welcome e-mail after commit.

    Raises EmailAlreadyRegistered for a taken address (case-insensitive) and
    ValidationError for a password the validators refuse.
    """
    user = User(email=email, name=name, address=address, latitude=latitude, longitude=longitude)
    _insert_user(user, password)
    send_on_commit(user_welcome_send_task, user.pk)
    return user


@transaction.atomic
def user_create(*, email: str, name: str, password: str, role: str = User.Role.CUSTOMER, **fields) -> User:
    """Create an account on an admin's behalf, with any role; no welcome mail."""
    user = User(email=email, name=name, role=role, **fields)
    return _insert_user(user, password)


@transaction.atomic
def user_update_profile(*, user: User, **changes) -> User:
    """Change a user's own profile: name, address and location."""
    unknown = set(changes) - PROFILE_FIELDS
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
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
    can no longer obtain tokens, and tokens already issued stop working.
    """
    unknown = set(changes) - ADMIN_FIELDS
    if unknown:
        raise ValueError(f"Not user fields: {sorted(unknown)}")
    if user.pk == by.pk and (
        changes.get("role", user.role) != User.Role.ADMIN or changes.get("is_active", True) is False
    ):
        raise SelfLockout()
    for field, value in changes.items():
        setattr(user, field, value)
    _check_location(user)
    user.save(update_fields=[*changes])
    return user
