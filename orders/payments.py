"""Payment providers behind one small interface.

``test`` settles instantly and declines the tokens that card test numbers
decline (``tok_declined``, ``tok_insufficient_funds``, ...); ``manual`` is
money staff received some other way (cash at the box office, a transfer) and
confirm in the admin. A real gateway is one more class with ``charge`` and
``refund``; the services never talk to a gateway except through this module.
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ProviderResult:
    succeeded: bool
    reference: str = ""
    failure_reason: str = ""


class PaymentProvider:
    name = ""
    staff_only = False

    def charge(self, *, amount: Decimal, currency: str, token: str, description: str) -> ProviderResult:
        raise NotImplementedError

    def refund(self, *, amount: Decimal, currency: str, charge_reference: str) -> ProviderResult:
        raise NotImplementedError


class TestProvider(PaymentProvider):
    """Instant, deterministic payments for development, tests and demos."""

    name = "test"
    DECLINES = {
        "tok_declined": "Your card was declined.",
        "tok_insufficient_funds": "Your card has insufficient funds.",
        "tok_expired_card": "Your card has expired.",
    }

    def charge(self, *, amount, currency, token, description):
        if token in self.DECLINES:
            return ProviderResult(False, failure_reason=self.DECLINES[token])
        if not token.startswith("tok_"):
            return ProviderResult(False, failure_reason="Unknown payment token.")
        return ProviderResult(True, reference=f"ch_test_{secrets.token_hex(8)}")

    def refund(self, *, amount, currency, charge_reference):
        return ProviderResult(True, reference=f"re_test_{secrets.token_hex(8)}")


class ManualProvider(PaymentProvider):
    """Money received outside the platform, confirmed by staff; ``token`` is their note or receipt number."""

    name = "manual"
    staff_only = True

    def charge(self, *, amount, currency, token, description):
        return ProviderResult(True, reference=token or "manual")

    def refund(self, *, amount, currency, charge_reference):
        return ProviderResult(True, reference="manual refund")


PROVIDERS: dict[str, PaymentProvider] = {p.name: p for p in (TestProvider(), ManualProvider())}


def get_provider(name: str) -> PaymentProvider:
    return PROVIDERS[name]
