from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.services import user_create

DEMO_PASSWORD = "Passw0rd!"  # noqa: S105  (documented development-only password)
DEMO_ACCOUNTS = [
    ("demo@local.test", "Demo Customer", User.Role.CUSTOMER),
    ("staff@local.test", "Demo Staff", User.Role.STAFF),
    ("admin@local.test", "Demo Admin", User.Role.ADMIN),
]


class Command(BaseCommand):
    help = "Create the development accounts (idempotent). Development data only."

    @transaction.atomic
    def handle(self, *args, **options):
        for email, name, role in DEMO_ACCOUNTS:
            if User.objects.filter(email=email).exists():
                self.stdout.write(f"exists   {email}")
                continue
            user_create(email=email, name=name, password=DEMO_PASSWORD, role=role)
            self.stdout.write(f"created  {email} ({role}) / {DEMO_PASSWORD}")
