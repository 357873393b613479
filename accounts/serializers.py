from django.contrib.auth.password_validation import password_validators_help_text_html
from rest_framework import serializers
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer

from accounts.models import User
from accounts.tokens import RefreshToken

LOCATION_FIELDS = {
    "latitude": serializers.FloatField(min_value=-90, max_value=90, allow_null=True, required=False),
    "longitude": serializers.FloatField(min_value=-180, max_value=180, allow_null=True, required=False),
}


class UserSerializer(serializers.ModelSerializer):
    """A user's own profile: name and location are writable."""

    latitude = LOCATION_FIELDS["latitude"]
    longitude = LOCATION_FIELDS["longitude"]

    class Meta:
        model = User
        fields = ["id", "name", "email", "role", "address", "latitude", "longitude", "date_joined"]
        read_only_fields = ["id", "email", "role", "date_joined"]


class RegisterSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True,
        max_length=128,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=password_validators_help_text_html(),
    )
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    latitude = LOCATION_FIELDS["latitude"]
    longitude = LOCATION_FIELDS["longitude"]


class AdminUserSerializer(serializers.ModelSerializer):
    """Any account as an admin sees it; role and is_active are writable."""

    latitude = LOCATION_FIELDS["latitude"]
    longitude = LOCATION_FIELDS["longitude"]

    class Meta:
        model = User
        fields = [
            "id", "name", "email", "role", "is_active", "address", "latitude", "longitude",
            "date_joined", "last_login",
        ]  # fmt: skip
        read_only_fields = ["id", "email", "date_joined", "last_login"]


class AdminUserCreateSerializer(RegisterSerializer):
    role = serializers.ChoiceField(choices=User.Role.choices, default=User.Role.CUSTOMER)


class TokenObtainSerializer(TokenObtainPairSerializer):
    """``{email, password}`` → ``{access, refresh}``; ``username`` is accepted for ``email``.

    Seed 001's clients log in with an OAuth2-style form (``username`` and
    ``password``); both spellings keep working.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = False
        self.fields["username"] = serializers.CharField(write_only=True, required=False)

    def validate(self, attrs):
        email = attrs.get("email") or attrs.pop("username", None)
        if not email:
            raise serializers.ValidationError({"email": ["This field is required."]}, code="required")
        attrs["email"] = email.strip().lower()
        return super().validate(attrs)


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """``{refresh}`` → ``{access}``, with the claims checked (``accounts.tokens``).

    simplejwt reads the token's user with ``objects.get``: a refresh token of a
    user deleted since was a 500. It is the 401 an inactive user gets.
    """

    token_class = RefreshToken

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except User.DoesNotExist:
            message = self.error_messages["no_active_account"]
            raise AuthenticationFailed(message, "no_active_account") from None


class TokenPairSerializer(serializers.Serializer):
    """Response shape of the token endpoint (for the schema)."""

    access = serializers.CharField()
    refresh = serializers.CharField()


class AccessTokenSerializer(serializers.Serializer):
    """Response shape of the refresh endpoint (for the schema): refresh tokens are not rotated."""

    access = serializers.CharField()
