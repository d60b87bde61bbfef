"""The htmx pages, in English or French: classify, feedback, the model card, monitoring, label
review, errors."""

from flask import Flask, current_app

from catsdogs import serving
from catsdogs.web import errors, formats, language, monitoring, pages, review_page


def init_app(app: Flask) -> None:
    """Register the pages' blueprints and what every page template is given."""
    app.register_blueprint(pages.bp)
    app.register_blueprint(monitoring.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(review_page.bp)
    errors.register(app)
    app.context_processor(page_settings)
    app.context_processor(language.links)
    formats.register(app)


def page_settings() -> dict:
    """Give every page the retention periods, the upload limit and the model version."""
    config = current_app.config
    return {
        "retention_days": config["RETENTION_DAYS"],
        "training_photo_retention_days": config["TRAINING_PHOTO_RETENTION_DAYS"],
        "max_upload_mb": config["MAX_UPLOAD_MB"],
        "model_version": serving.parts(current_app).classifier.model_version,
    }
