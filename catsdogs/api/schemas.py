"""Request and response schemas: they validate the API and generate /openapi.json."""

import datetime

import marshmallow as ma

from catsdogs.store.tables import COMMENT_MAX_LENGTH

TRUTHY = {"true", "1", "on", "yes", 1}  # 1 == True: booleans are in
FALSY = {"false", "0", "off", "no", "", 0}


class Strict(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE


class Closed(ma.Schema):
    """An unknown field is an error: a mistyped `consent=true` must not silently lose consent."""

    class Meta:
        unknown = ma.RAISE


class FormBoolean(ma.fields.Boolean):
    """A boolean whose words match in any case: `requests` sends Python's True as "True"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.lower()
        return super()._deserialize(value, attr, data, **kwargs)


class WholeNumber(ma.fields.Integer):
    """An integer that also comes as a string from forms, but never as a fraction like 1.5."""

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")  # plain Integer would truncate 1.5 to 1
        return super()._validated(value)


class UtcDateTime(ma.fields.DateTime):
    """A date-time with its offset: SQLite hands back naive values, all of them UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class FeedbackRequest(Closed):
    feedback_id = WholeNumber(
        required=True, strict=False, validate=ma.validate.Range(min=1, max=2**31 - 1)
    )
    user_feedback = WholeNumber(
        required=True,
        validate=ma.validate.OneOf([0, 1]),
        metadata={"description": "1 satisfied, 0 unsatisfied"},
    )
    user_comment = ma.fields.String(
        allow_none=True,
        validate=ma.validate.Length(max=COMMENT_MAX_LENGTH),
        metadata={"description": "Absent keeps the earlier comment; empty or null clears it"},
    )


class FeedbackResult(ma.Schema):
    feedback_id = ma.fields.Integer(required=True)
    user_feedback = ma.fields.Integer(required=True)
    user_comment = ma.fields.String(allow_none=True)


class PageArgs(ma.Schema):
    """Read with unknown=RAISE: a mistyped `limt=5` is an error, not silently the default."""

    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**31))


class StoredPrediction(ma.Schema):
    id = ma.fields.Integer()
    created_at = UtcDateTime()
    prediction_result = ma.fields.String()
    proba_cat = ma.fields.Float(allow_none=True)
    proba_dog = ma.fields.Float(allow_none=True)
    confidence = ma.fields.Float(allow_none=True)
    neither = ma.fields.Boolean(metadata={"description": "The answer was neither cat nor dog"})
    neither_score = ma.fields.Float(allow_none=True)
    inference_time_ms = ma.fields.Float()
    model_version = ma.fields.String()
    rgpd_consent = ma.fields.Boolean()
    training_consent = ma.fields.Boolean()
    filename = ma.fields.String(allow_none=True)
    user_feedback = ma.fields.Integer(allow_none=True)
    user_comment = ma.fields.String(allow_none=True)


class PredictionList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StoredPrediction))
    total = ma.fields.Integer(metadata={"description": "How many predictions are stored in all"})
    limit = ma.fields.Integer()
    offset = ma.fields.Integer()


class Statistics(ma.Schema):
    total_predictions = ma.fields.Integer()
    predictions_by_class = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={
            "description": "Predictions by answer: cat, dog, neither (not a cat or a dog: not "
            "counted under cat or dog, though the row keeps the likelier class) and error"
        },
    )
    consents = ma.fields.Integer()
    consent_rate = ma.fields.Float(allow_none=True)
    feedback = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    satisfaction_rate = ma.fields.Float(allow_none=True)
    inference_time_ms = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Float(allow_none=True)
    )


class ModelHealth(ma.Schema):
    loaded = ma.fields.Boolean()
    version = ma.fields.String(allow_none=True)


class ServedModel(ma.Schema):
    version = ma.fields.String(metadata={"description": "The model card's version"})
    registry_version = ma.fields.String(
        allow_none=True, metadata={"description": "The MLflow model version; null if packaged"}
    )
    source = ma.fields.String(
        validate=ma.validate.OneOf(["packaged", "registry", "cache"]),
        metadata={"description": "cache: the last champion verified, the registry unreachable"},
    )
    precision = ma.fields.String(
        validate=ma.validate.OneOf(["fp32", "int8"]),
        metadata={"description": "int8: the version's INT8 copy answers (MODEL_PRECISION)"},
    )


class ErasureMark(ma.Schema):
    count = ma.fields.Integer(metadata={"description": "Erased photos it was trained on"})
    since = ma.fields.String(metadata={"description": "When it was first marked (ISO 8601)"})
    champion = ma.fields.Boolean(metadata={"description": "It is the champion"})
    challenger = ma.fields.Boolean(metadata={"description": "It is the challenger"})


class RegistryHealth(ma.Schema):
    configured = ma.fields.Boolean(metadata={"description": "MLFLOW_TRACKING_URI is set"})
    reachable = ma.fields.Boolean(allow_none=True, metadata={"description": "null: not asked"})
    last_success = ma.fields.String(
        allow_none=True,
        metadata={"description": "When the registry last answered, ISO 8601 in UTC"},
    )
    last_error = ma.fields.String(allow_none=True)
    refused_versions = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.String(), metadata={"description": "Why"}
    )
    marked_versions = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(ErasureMark),
        metadata={"description": "Registry versions trained on photos erased since"},
    )


class CanaryState(ma.Schema):
    registry_version = ma.fields.String(metadata={"description": "The challenger answering"})
    percent = ma.fields.Float(metadata={"description": "Share of clients it answers here now"})
    set_percent = ma.fields.Float(metadata={"description": "The share last set in the registry"})
    by = ma.fields.String(metadata={"description": "Who set it (catsdogs service: a guard)"})
    at = ma.fields.String(metadata={"description": "When, ISO 8601"})
    reason = ma.fields.String()
    tripped = ma.fields.String(
        allow_none=True, metadata={"description": "The guards this app saw trip, and figures"}
    )


class ModelState(ma.Schema):
    serving = ma.fields.Nested(ServedModel)
    shadow = ma.fields.Nested(ServedModel, allow_none=True)
    canary = ma.fields.Nested(
        CanaryState,
        allow_none=True,
        metadata={"description": "The challenger answering a share of clients (docs/registry.md)"},
    )
    registry = ma.fields.Nested(RegistryHealth)


class Health(ModelState):
    status = ma.fields.String(validate=ma.validate.OneOf(["healthy", "degraded", "unhealthy"]))
    model = ma.fields.Nested(ModelHealth)
    database = ma.fields.String(validate=ma.validate.OneOf(["connected", "disconnected"]))
    spooled_predictions = ma.fields.Integer()


class Liveness(ma.Schema):
    status = ma.fields.String(validate=ma.validate.OneOf(["alive"]))


class Readiness(ModelState):
    ready = ma.fields.Boolean(metadata={"description": "A model is loaded and warmed up"})


class ApiError(ma.Schema):
    error = ma.fields.String(required=True, metadata={"description": "Short machine code"})
    message = ma.fields.String(required=True, metadata={"description": "Plain sentence"})
