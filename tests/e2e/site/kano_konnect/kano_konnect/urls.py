from django.urls import path

from . import views

urlpatterns = [
    path("", views.index),
    path("add", views.add),
    path("visits", views.visits),
    path("sleep", views.sleep),
]
