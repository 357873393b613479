"""Forms of the cart and order pages."""

from django import forms

from orders.models import MAX_TICKETS_PER_ORDER
from orders.payments import TestProvider


class CartQuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=1)


class PayForm(forms.Form):
    """A payment with the test provider: the card token stands in for a card."""

    token = forms.CharField(
        label="Card token",
        initial="tok_visa",
        max_length=100,
        help_text=(
            "This is the test payment provider: any token starting with <code>tok_</code> pays, "
            + ", ".join(f"<code>{token}</code>" for token in TestProvider.DECLINES)
            + " are declined (your reservation stays and you can try again)."
        ),
    )


class ConfirmForm(forms.Form):
    """A button that changes an order (cancel, refund): nothing to fill in, CSRF checked."""


class WaitlistJoinForm(forms.Form):
    """Join a sold-out type's waitlist from the event page (its button names the type)."""

    ticket_type = forms.IntegerField(min_value=1)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_TICKETS_PER_ORDER, initial=1)
