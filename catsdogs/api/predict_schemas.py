"""The prediction endpoint's request and answer: they validate /api/predict and document it."""

import marshmallow as ma
from flask_smorest.fields import Upload

from catsdogs.api.schemas import FALSY, TRUTHY, Closed, FormBoolean
from catsdogs.serving.explain import EVENLY, NO_MAP, PLACES


def yes_or_no(description: str) -> FormBoolean:
    """A multipart yes/no field, false when absent. A multipart field is text: the OpenAPI
    document lists the exact words accepted, not a JSON boolean."""
    return FormBoolean(
        load_default=False,
        truthy=TRUTHY,
        falsy=FALSY,
        metadata={
            "description": description,
            "type": "string",
            "enum": sorted(v for v in TRUTHY | FALSY if isinstance(v, str)),
        },
    )


class UploadSchema(Closed):
    file = Upload(
        required=True,
        metadata={"description": "A JPEG, PNG, GIF, WebP, BMP or TIFF photo of a cat or a dog"},
    )
    rgpd_consent = yes_or_no("Keep the file name and allow feedback; the words match in any case")
    training_consent = yes_or_no(
        "Keep a downscaled copy of the photo (longest side 320 px, JPEG, no metadata) to help "
        "improve the model; needs rgpd_consent (else 400 `training_consent_without_consent`). "
        "Erased with the prediction, deleted after TRAINING_PHOTO_RETENTION_DAYS. Same words as "
        "rgpd_consent"
    )
    explain = yes_or_no(
        "Also say where the model saw its answer's class: `explanation` (under a millisecond "
        "more; nothing extra is computed without it). Same words as rgpd_consent"
    )


class Probabilities(ma.Schema):
    cat = ma.fields.Float(required=True)
    dog = ma.fields.Float(required=True)


class Explanation(ma.Schema):
    class_ = ma.fields.String(
        data_key="class",
        attribute="class",
        required=True,
        validate=ma.validate.OneOf(["cat", "dog"]),
        metadata={"description": "The class explained: `prediction` (also when `neither`)"},
    )
    grid = ma.fields.List(
        ma.fields.List(ma.fields.Float()),
        required=True,
        metadata={
            "description": "Rows, top to bottom, of the class activation map normalised 0-1 "
            "(1: the cell that spoke most for the class), on the model's own grid; the cells "
            "share the image the model read (`size`) evenly: 7x7 cells of 32x32 pixels for "
            "the shipped model's 224x224"
        },
    )
    logits = ma.fields.List(
        ma.fields.List(ma.fields.Float()),
        required=True,
        metadata={
            "description": "The same map raw: each cell's share of the class's logit (their "
            "mean is the logit; negative cells spoke for the other class)"
        },
    )
    where = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([*(p for row in PLACES for p in row), EVENLY]),
        metadata={
            "description": "The third of the image, up-down and left-right, of the "
            "hottest cell; `evenly` when no cell stands out"
        },
    )
    overlay = ma.fields.String(
        required=True,
        metadata={
            "description": "The map over the image the model read (`size`), as a "
            "`data:image/jpeg;base64,...` URI (computed for this answer, never stored)"
        },
    )
    size = ma.fields.List(
        ma.fields.Integer(),
        required=True,
        metadata={
            "description": "[width, height] in pixels of the image the model read, which the "
            "grid covers and the overlay shows: the photo resized as the model card says "
            "([224, 224] for the shipped model)"
        },
    )


class PredictionResult(ma.Schema):
    id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "Row id; null when the database was down and the row was spooled"},
    )
    feedback_id = ma.fields.Integer(
        metadata={
            "description": "Same as id, present only where feedback is possible: the photo was "
            "sent with consent and its row is stored"
        }
    )
    prediction = ma.fields.String(required=True, validate=ma.validate.OneOf(["cat", "dog"]))
    confidence = ma.fields.Float(required=True)
    unsure = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "True when the confidence is below the model card's `unsure_below`: "
            "the model hesitates between a cat and a dog"
        },
    )
    probabilities = ma.fields.Nested(Probabilities, required=True)
    neither = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "True when the photo looks like neither a cat nor a dog (the model's "
            "detector, docs/trust.md); `prediction` and `probabilities` still give the nearer "
            "of the two classes"
        },
    )
    neither_score = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={
            "description": "The detector's score: above the model card's `neither.threshold`, "
            "the answer is neither; null for a model without the detector"
        },
    )
    inference_time_ms = ma.fields.Float(required=True)
    model_version = ma.fields.String(required=True)
    filename = ma.fields.String(allow_none=True)
    training_photo_kept = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "True when a downscaled copy of the photo was kept for training "
            "(stored with the row, or spooled with it while the database is down)"
        },
    )
    training_photo_refused = ma.fields.String(
        validate=ma.validate.OneOf(["daily_limit", "queue_full", "already_kept", "unavailable"]),
        metadata={
            "description": "Only when training_consent was given and the photo was not kept: "
            "`daily_limit` (TRAINING_PHOTOS_PER_ADDRESS_PER_DAY photos a day per token on the "
            "API, per address on the page), `queue_full` (REVIEW_QUEUE_MAX photos wait for "
            "review), `already_kept` (the same photo is kept already: it is not stored twice), "
            "`unavailable` (the quota's storage is down)"
        },
    )
    explanation = ma.fields.Nested(
        Explanation,
        allow_none=True,
        metadata={
            "description": "Only with explain=true: where the model saw `prediction`'s class; "
            "null for a model without class activation maps (`explanation_unavailable` says so)"
        },
    )
    explanation_unavailable = ma.fields.String(
        validate=ma.validate.OneOf([NO_MAP]),
        metadata={"description": "Only when explain=true and `explanation` is null: why"},
    )
