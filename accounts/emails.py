from django.core.mail import send_mail
from django.template.loader import render_to_string


def send_welcome_email(user) -> None:
    """Tell a new customer their account is ready."""
    send_mail(
        subject="Welcome to Tixxety",
        message=render_to_string("emails/welcome.txt", {"user": user}),
        from_email=None,
        recipient_list=[user.email],
    )
