"""What every page's navigation shows about the cart."""

from django.db.models import Sum
from django.utils.functional import SimpleLazyObject

from orders.models import CartItem


def cart_count(request) -> dict:
    """``cart_count``: tickets in the signed-in user's cart, read only when a template asks."""

    def count() -> int:
        # Error pages answered by middleware before authentication have no user.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return CartItem.objects.filter(cart__user=user).aggregate(n=Sum("quantity"))["n"] or 0

    return {"cart_count": SimpleLazyObject(count)}
