"""WSGI entry point: `waitress-serve wsgi:app` (configuration comes from the environment)."""

from catsdogs import create_app

app = create_app()
