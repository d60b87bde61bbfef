"""All of the OpenAPI plumbing: /openapi.json, the Swagger UI at /docs, the API blueprint class."""

import swagger_ui_bundle
from flask import Flask, send_from_directory
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

api = Api()
SECURITY_SCHEME = "bearerAuth"
# The `security` of every token-protected operation in /openapi.json.
BEARER: list[dict[str, list[str]]] = [{SECURITY_SCHEME: []}]
# Where the token that "Authorize" asks for comes from: shown atop /docs and in that dialog.
TOKEN_SOURCE = (
    "The token is the service's `API_TOKEN`, or one of `API_TOKENS` (`name:token`, with scopes), "
    "read from its environment; without either, `make run` generates one and prints it, and "
    "`.venv/bin/flask --app catsdogs api-token --show` shows it again. See docs/api.md and "
    "docs/configuration.md (the API token) in the repository."
)
SETTINGS = {
    "API_TITLE": "catsdogs",
    "API_VERSION": "1.0.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # Swagger UI's files come from the swagger-ui-bundle package, not a CDN (CSP: 'self' only).
    "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Cats or dogs, with a token-protected JSON API. Click **Authorize** "
            "and paste an API token (without `Bearer`). " + TOKEN_SOURCE
        }
    },
}


def init_app(app: Flask) -> None:
    """Serve the spec, the Swagger UI page and its files."""
    app.config.update(SETTINGS)
    api.init_app(app)
    api.spec.components.security_scheme(
        SECURITY_SCHEME, {"type": "http", "scheme": "bearer", "description": TOKEN_SOURCE}
    )
    app.add_url_rule(
        "/docs/assets/<path:filename>",
        "swagger_assets",
        lambda filename: send_from_directory(swagger_ui_bundle.swagger_ui_path, filename),
    )


class MultipartParser(FlaskParser):
    """Adds the `form_and_files` location: one multipart body with files and form fields."""

    __location_map__ = {**FlaskParser.__location_map__, "form_and_files": "load_form_and_files"}

    def load_form_and_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose multipart bodies are documented as one requestBody."""

    ARGUMENTS_PARSER = MultipartParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "form_and_files": "multipart/form-data",
        "json_or_form": "application/json",  # a form body works too; JSON is what we document
    }
