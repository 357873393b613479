from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView
from rest_framework_simplejwt.views import TokenRefreshView as BaseTokenRefreshView

from accounts import services
from accounts.models import User
from accounts.serializers import (
    AccessTokenSerializer,
    AdminUserCreateSerializer,
    AdminUserSerializer,
    RegisterSerializer,
    TokenObtainSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from tixxety.api.permissions import IsAdminRole
from tixxety.ratelimits import rate_limit


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=RegisterSerializer, responses={201: UserSerializer}, summary="Create an account")
    @rate_limit("register-ip", "register-account")
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: TokenPairSerializer}, summary="Obtain an access and refresh token")
class TokenView(TokenObtainPairView):
    serializer_class = TokenObtainSerializer
    authentication_classes = []

    @rate_limit("login-ip", "login-account")
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


@extend_schema(responses={200: AccessTokenSerializer}, summary="Exchange a refresh token for an access token")
class TokenRefreshView(BaseTokenRefreshView):
    """simplejwt's view; its response carries ``access`` alone whatever serializer the settings name."""


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user's profile."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        serializer.instance = services.user_update_profile(
            user=self.request.user, **serializer.validated_data
        )


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Part of the name or e-mail address"),
            OpenApiParameter("role", str, enum=User.Role.values),
            OpenApiParameter("is_active", bool),
        ]
    )
)
class UserViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Admin user management: list, create, change role or deactivate."""

    permission_classes = [IsAdminRole]
    serializer_class = AdminUserSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        users = User.objects.order_by("id")
        if self.action != "list":
            return users
        params = self.request.query_params
        if search := params.get("search", "").strip():
            users = users.filter(Q(email__icontains=search) | Q(name__icontains=search))
        if role := params.get("role"):
            users = users.filter(role=role)
        if (active := params.get("is_active")) in ("true", "false", "1", "0"):
            users = users.filter(is_active=active in ("true", "1"))
        return users

    def get_serializer_class(self):
        return AdminUserCreateSerializer if self.action == "create" else AdminUserSerializer

    @extend_schema(request=AdminUserCreateSerializer, responses={201: AdminUserSerializer})
    def create(self, request, *args, **kwargs):
        serializer = AdminUserCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(**serializer.validated_data)
        return Response(AdminUserSerializer(user).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = services.user_update(
            user=serializer.instance, by=self.request.user, **serializer.validated_data
        )
