# Django's stock wsgi.py, as the seed host runs it with
# `uwsgi --http :9090 --wsgi-file kano_konnect/kano_konnect/wsgi.py`.
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kano_konnect.settings")

application = get_wsgi_application()
