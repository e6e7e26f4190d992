# A minimal Django 3.2 project standing in for Kano-Konnect: three views, one model in SQLite
# (the host has PostgreSQL; the schema comes from `manage.py migrate`, a konnect one-shot).
import os

SECRET_KEY = "konnect-e2e-test-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["kano_konnect"]
MIDDLEWARE = []
ROOT_URLCONF = "kano_konnect.urls"
# The test says where (a directory user nobody may write); without it, no database.
_DB = os.environ.get("KANO_KONNECT_DB")
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _DB}} if _DB else {}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True

# The test runs its own RabbitMQ on loopback and says where.
CELERY_BROKER_URL = os.environ.get("KANO_KONNECT_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
CELERY_RESULT_BACKEND = "rpc://"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
