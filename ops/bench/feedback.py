"""Rehearse the feedback loop: people upload photos with both consents, vote, and a reviewer labels
what they kept, through the service's own API and review page.

    PYTHONPATH=ops python -m bench.feedback --url http://127.0.0.1:8000 --token T \
        --reviewer-password P --photos 200

The photos are new variants (a random crop, sometimes mirrored, re-encoded) of photos from the base
dataset's training split, so they never leak the validation or test photos that judge a model.
People vote truthfully (👍 when the answer is the photo's class), so the reviewer confirms each
proposed label; a human reviewer would also correct mistaken votes and reject unusable photos.
"""

import argparse
import io
import random
import re
import sys
from pathlib import Path

import requests
from PIL import Image

from catsdogs.card import CLASSES, SHIPPED_MODEL, ModelCard
from catsdogs.store.petimages import Dataset, card_split

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "PetImages-180.zip"


def training_photos(data: Path, count: int, seed: int) -> list[tuple[str, bytes]]:
    """`count` (label, JPEG) pairs, half cats and half dogs, from the shipped card's train split."""
    dataset = Dataset(data)
    train = card_split(dataset, ModelCard.for_model(SHIPPED_MODEL).data)["train"]
    rng = random.Random(seed)
    chosen = []
    for label in (0, 1):
        names = [f for f, y in zip(train.files, train.labels, strict=True) if y == label]
        for name in rng.sample(names, count // 2 + (label == 0) * (count % 2)):
            chosen.append((CLASSES[label], variant(dataset.read(name), rng)))
    rng.shuffle(chosen)
    return chosen


def variant(photo: bytes, rng: random.Random) -> bytes:
    """A crop of 75-95% of each side, mirrored half the time, saved at another JPEG quality."""
    image = Image.open(io.BytesIO(photo)).convert("RGB")
    width, height = image.size
    w, h = int(width * rng.uniform(0.75, 0.95)), int(height * rng.uniform(0.75, 0.95))
    left, top = rng.randint(0, width - w), rng.randint(0, height - h)
    image = image.crop((left, top, left + w, top + h))
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=rng.randint(70, 95))
    return out.getvalue()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="the API's bearer token")
    parser.add_argument("--reviewer", default="rehearsal")
    parser.add_argument("--reviewer-password", help="REVIEWER_PASSWORD; without it, no review")
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {args.token}"
    uploaded, wrong = 0, 0
    for index, (truth, photo) in enumerate(training_photos(args.data, args.photos, args.seed)):
        answer = api.post(
            f"{args.url}/api/predict",
            files={"file": (f"upload-{index}.jpg", photo, "image/jpeg")},
            data={"rgpd_consent": "true", "training_consent": "true"},
            timeout=30,
        )
        answer.raise_for_status()
        result = answer.json()
        right = result["prediction"] == truth
        wrong += not right
        vote = {"feedback_id": result["feedback_id"], "user_feedback": int(right)}
        if not right:
            vote["user_comment"] = f"It is a {truth}."
        api.post(f"{args.url}/api/update-feedback", json=vote, timeout=30).raise_for_status()
        uploaded += 1
    print(f"{uploaded} photos uploaded with training consent, {wrong} answered wrong, voted down")
    if args.reviewer_password:
        reviewed = confirm_all(args.url, args.reviewer, args.reviewer_password)
        print(f"{reviewed} photos confirmed by {args.reviewer} on the review page")
    return 0


PHOTO = re.compile(r'action="/review/photos/(\d+)"')
PROPOSED = re.compile(r'name="decision" value="(cat|dog)" data-key="c"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def confirm_all(url: str, name: str, password: str) -> int:
    """Log in to the review page and confirm every waiting photo's proposed label."""
    page = requests.Session()
    token = CSRF.search(page.get(f"{url}/review", timeout=30).text).group(1)
    login = {"name": name, "password": password, "csrf_token": token}
    page.post(f"{url}/review/login", data=login, timeout=30).raise_for_status()
    confirmed = 0
    while True:
        queue = page.get(f"{url}/review", timeout=30).text
        token = CSRF.search(queue).group(1)
        cards = [c for c in queue.split("<article")[1:] if "Waiting for review" in c]
        decisions = [(PHOTO.search(c), PROPOSED.search(c)) for c in cards]
        decisions = [(photo[1], label[1]) for photo, label in decisions if photo and label]
        if not decisions:  # waiting photos come first: none left with a proposed label
            return confirmed
        for photo_id, label in decisions:
            answer = page.post(
                f"{url}/review/photos/{photo_id}",
                data={"decision": label, "csrf_token": token},
                timeout=30,
            )
            answer.raise_for_status()
            confirmed += 1


if __name__ == "__main__":
    sys.exit(main())
