"""Permission classes for the roles of DESIGN.md's API table.

Ownership is not a permission class: viewsets scope ``get_queryset()`` to the
requesting user, so another user's object is a 404 rather than a 403.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsStaffRole(BasePermission):
    """Staff and admins (check-in, order support)."""

    message = "Staff access required."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff_member)


class IsAdminRole(BasePermission):
    """Admins only (catalogue, users, analytics)."""

    message = "Admin access required."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_admin)


class IsAdminRoleOrReadOnly(IsAdminRole):
    """Anyone may read; only admins may write."""

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or super().has_permission(request, view)
