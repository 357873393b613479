from django.urls import path

from tickets import views

# No namespace: the API's URL modules hold the app names.

urlpatterns = [
    path("tickets/<int:pk>/qr.svg", views.ticket_qr, name="ticket-qr"),
    path("checkin/", views.check_in, name="checkin"),
]
