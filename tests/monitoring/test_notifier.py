"""The Discord notifier against a local HTTP server: payload, retries, 429, timeout, dedup."""

import time

import pytest

from catsdogs import store

from catsdogs.monitoring import notifications
from catsdogs.card import CardError
from catsdogs.monitoring.notifier import COLORS, DiscordNotifier, Event
from tests.monitoring.discord_stub import DiscordStub

DOWN, UP = notifications.database_event(False), notifications.database_event(True)


@pytest.fixture
def stub():
    stub = DiscordStub()
    yield stub
    stub.close()


@pytest.fixture
def make_notifier(stub):
    made = []

    def build(**options):
        made.append(DiscordNotifier(stub.url, **{"backoff": 0.01, **options}))
        return made[-1]

    yield build
    for sender in made:
        sender.close(timeout=1)


@pytest.mark.parametrize("severity", ["critical", "warning", "info"])
def test_embed_is_coloured_by_severity(stub, make_notifier, severity):
    make_notifier().notify(Event("disk", "full", severity, "Disk full", "97% used"))
    [body] = stub.wait_for(1, timeout=5)
    [embed] = body["embeds"]
    assert (embed["title"], embed["description"]) == ("Disk full", "97% used")
    assert embed["color"] == COLORS[severity]
    assert {"name": "Severity", "value": severity, "inline": True} in embed["fields"]


def test_notify_never_blocks_and_a_timeout_is_retried(stub, make_notifier):
    stub.script = [(204, {}, 2.0)]  # the first answer comes after the client's timeout
    sender = make_notifier(timeout=0.3)
    started = time.perf_counter()
    sender.notify(DOWN)
    assert time.perf_counter() - started < 0.5  # the server takes 2 s to answer
    assert len(stub.wait_for(2, timeout=5)) == 2
    assert 0.2 < stub.posts[1][0] - stub.posts[0][0] < 1.5  # gave up at 0.3 s, not 2 s


@pytest.mark.parametrize(
    "answer",
    [
        (429, {"Retry-After": "0.6"}, 0),
        (429, {"Retry-After": "soon", "Content-Type": "application/json"}, 0),
    ],
)
def test_429_waits_as_told(stub, make_notifier, answer):
    stub.script = [answer]
    make_notifier(backoff=0.01).notify(DOWN)
    assert len(stub.wait_for(2, timeout=5)) == 2
    # Retry-After (0.6 s) is honoured; an unreadable one falls back to the 0.01 s backoff.
    gap = stub.posts[1][0] - stub.posts[0][0]
    assert gap >= 0.6 if answer[1]["Retry-After"] == "0.6" else gap < 0.5


def test_server_errors_are_retried_then_dropped(stub, make_notifier):
    stub.script = [(502, {}, 0)] * 3
    sender = make_notifier(retries=2)
    sender.notify(DOWN)
    assert sender.flush(timeout=5)
    assert len(stub.posts) == 3


def test_a_refused_message_is_not_retried(stub, make_notifier):
    stub.script = [(400, {}, 0)]
    sender = make_notifier()
    sender.notify(DOWN)
    assert sender.flush(timeout=5)
    assert len(stub.posts) == 1


def test_an_outage_sends_one_message_and_its_recovery_one_more(stub, make_notifier):
    sender = make_notifier(cooldown=1.0)
    for event in (DOWN, DOWN, UP, DOWN, DOWN):  # a flap inside the cooldown: dropped
        sender.notify(event)
        time.sleep(0.05)
    time.sleep(1.0)
    assert sender.flush(timeout=5)
    sender.notify(UP)
    sender.notify(UP)
    assert sender.flush(timeout=5)
    time.sleep(0.2)
    titles = [body["embeds"][0]["title"] for _, body in stub.posts]
    assert titles == ["Database unreachable", "Database restored"]


def test_without_url_nothing_is_sent():
    sender = DiscordNotifier(None)
    sender.notify(DOWN)
    assert sender.flush(timeout=0.1)
    assert sender._thread is None


def test_a_model_that_fails_to_load_is_reported_before_start_up_fails(make_app, stub, tmp_path):
    with pytest.raises(CardError, match="model file not found"):
        make_app(MODEL_PATH=str(tmp_path / "missing.onnx"), DISCORD_WEBHOOK_URL=stub.url)
    [body] = stub.wait_for(1, timeout=1)  # sent before create_app raised
    assert body["embeds"][0]["title"] == "Model failed to load"
    assert body["embeds"][0]["color"] == COLORS["critical"]
    assert "missing.onnx" in body["embeds"][0]["description"]


@pytest.mark.parametrize(
    "language, down, up, severity",
    [
        ("en", "Database unreachable", "Database restored", ("Severity", "critical")),
        ("fr", "Base de données injoignable", "Base de données rétablie", ("Gravité", "critique")),
    ],
)
def test_database_messages_speak_the_configured_language(app, language, down, up, severity):
    with app.app_context():
        lost, back = (
            notifications.database_event(False, language),
            notifications.database_event(True, language),
        )
    assert (lost.title, back.title, lost.severity_field) == (down, up, severity)
    assert (lost.severity, lost.state, back.state) == ("critical", "down", "up")  # never translated


def test_the_watch_tells_discord_in_notify_language(make_app, stub):
    app = make_app(DISCORD_WEBHOOK_URL=stub.url, NOTIFY_LANGUAGE="fr")
    watch = store.parts(app).database_watch
    watch.connected = True  # last seen up
    watch.observe(False)  # as the watch's thread calls it, outside any context
    [body] = stub.wait_for(1, timeout=5)
    [embed] = body["embeds"]
    assert embed["title"] == "Base de données injoignable"
    assert embed["description"].startswith("Les prédictions restent servies")
    assert embed["fields"] == [{"name": "Gravité", "value": "critique", "inline": True}]


def test_a_model_that_fails_to_load_is_reported_in_french(make_app, stub, tmp_path):
    with pytest.raises(CardError):
        make_app(
            MODEL_PATH=str(tmp_path / "missing.onnx"),
            DISCORD_WEBHOOK_URL=stub.url,
            NOTIFY_LANGUAGE="fr",
        )
    [body] = stub.wait_for(1, timeout=1)
    assert body["embeds"][0]["title"] == "Échec du chargement du modèle"
    assert body["embeds"][0]["description"].startswith("Le service ne peut pas démarrer\u00a0: ")


def test_an_unknown_notify_language_is_refused_at_start(make_app):
    with pytest.raises(ValueError, match="NOTIFY_LANGUAGE must be one of en, fr"):
        make_app(NOTIFY_LANGUAGE="de")
