class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes these rows in the admin; services own them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
