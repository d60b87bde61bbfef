"""The API blueprint class: flask-smorest, plus multipart bodies mixing files and fields."""

from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict


SECURITY_SCHEME = "bearerAuth"
# The `security` of every token-protected operation in /openapi.json.
BEARER = [{SECURITY_SCHEME: []}]


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
