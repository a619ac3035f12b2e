from django.urls import path

from portal.button import views

urlpatterns = [
    path("availability.json", views.availability, name="button_availability"),
]
