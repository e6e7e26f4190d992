# The Celery app is loaded with Django, so views can send tasks (Celery's Django layout).
from .celery import app as celery_app

__all__ = ("celery_app",)
