from django.db import models


class Visit(models.Model):
    """One GET /visits; its table exists only once `manage.py migrate` has run."""

    at = models.DateTimeField(auto_now_add=True)
