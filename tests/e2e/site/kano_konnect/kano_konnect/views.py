import os
import time

from django.http import HttpResponse, JsonResponse

from .models import Visit
from .tasks import add as add_task


def index(request):
    return HttpResponse("kano_konnect ok, uwsgi worker %d\n" % os.getpid())


def sleep(request):
    # A request still in flight when uWSGI is told to stop: a graceful stop lets it finish.
    ms = int(request.GET.get("ms", "1000"))
    time.sleep(ms / 1000)
    return HttpResponse("slept %d ms in uwsgi worker %d\n" % (ms, os.getpid()))


def add(request):
    x = int(request.GET.get("x", "1"))
    y = int(request.GET.get("y", "2"))
    result = add_task.delay(x, y).get(timeout=30)
    return JsonResponse(result)


def visits(request):
    # A 500 ("no such table") until the migration has run.
    Visit.objects.create()
    return HttpResponse("visits %d\n" % Visit.objects.count())
