"""The served app. `python wsgi.py` runs it behind waitress (make run, the image, the benchmarks);
other WSGI servers import `wsgi:app`. Configuration comes from the environment (and `.env`).
"""

from catsdogs import create_app, server

app = create_app()

if __name__ == "__main__":
    server.main(app)
