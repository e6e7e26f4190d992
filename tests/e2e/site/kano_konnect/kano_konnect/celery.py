import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kano_konnect.settings")

app = Celery("kano_konnect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.imports = ("kano_konnect.tasks",)
