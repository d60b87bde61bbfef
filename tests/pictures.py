"""Pictures the "not a cat or a dog" and "not sure" tests share, chosen by the model under test."""

import functools
import io

from PIL import Image, ImageDraw

from tests.helpers import shared_photos


def drawing() -> bytes:
    """A child's drawing of a house and the sun: the shipped detector refuses it by a wide
    margin (score about 7,100 for a threshold near 5,000), and the classes hesitate (dog 0.79)."""
    image = Image.new("RGB", (224, 224), (240, 240, 255))
    pen = ImageDraw.Draw(image)
    pen.rectangle((20, 120, 120, 200), fill=(200, 30, 30))
    pen.ellipse((130, 30, 200, 100), fill=(250, 200, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@functools.cache
def least_sure_pet(classifier) -> tuple[bytes, str]:
    """The shared cat photo (of the first 60) the model is least sure of, among those it still
    takes for a pet, and the class it leans to: a "not sure" answer that is not "neither"."""
    answers = [(classifier.predict(data), data) for _, data in shared_photos("Cat", 60)]
    answer, data = min(
        ((a, d) for a, d in answers if not a.neither), key=lambda pair: pair[0].confidence
    )
    assert classifier.card.unsure(answer.confidence), "no unsure photo among the first 60"
    return data, answer.label
