"""Catalogue pages: the home page, the events list and an event page."""

from django.urls import path

from events import views

# No namespace: the API's URL modules hold the app names.

urlpatterns = [
    path("", views.home, name="home"),
    path("events/", views.event_list, name="event-list"),
    path("events/<int:pk>/", views.event_detail, name="event-detail"),
]
