#!/usr/bin/env python3
"""Django's manage.py for the end-to-end test's kano_konnect project."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kano_konnect.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
