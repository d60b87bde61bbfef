"""The served app. `python wsgi.py` runs it behind waitress (make run, the image, the benchmarks),
in WORKERS processes that each build their own app; other WSGI servers import `wsgi:app`.
Configuration comes from the environment (and `.env`).
"""

from catsdogs import create_app, server

if __name__ == "__main__":
    server.main(create_app)
else:
    app = create_app()
