"""The shipped model, through the serving pipeline, on held-out photos from ../shared."""

import zipfile

from catsdogs.card import SHIPPED_MODEL, ModelCard
from catsdogs.store.petimages import Dataset, card_split
from tests.helpers import DATASET, shared_photos

SAMPLE_EVERY = 12  # a fixed sample of 200 of the 2,400 test photos


def test_shipped_model_scores_at_least_97_percent_on_test_photos(classifier):
    shared_photos("Cat", 1)  # skips with a reason when ../shared is absent
    card = ModelCard.for_model(SHIPPED_MODEL)
    test = card_split(Dataset(DATASET), card.data)["test"]
    sample = list(zip(test.files, test.labels, strict=True))[::SAMPLE_EVERY]
    with zipfile.ZipFile(DATASET) as archive:
        correct = sum(
            classifier.predict(archive.read(name)).label == card.classes[label]
            for name, label in sample
        )
    assert len(sample) == 200
    assert correct / len(sample) >= 0.97, f"{correct}/{len(sample)} correct"
