"""The in-memory side of the tracker store (bot/storage/recent_trackers.py), without a database."""
import pytest

from bot.storage.recent_trackers import RecentTrackers, size_from_environment


class FakeTracker:
    def __init__(self, n):
        self.events = list(range(n))


def test_only_the_most_recently_used_conversations_are_kept():
    recent = RecentTrackers(size=2)
    a, b, c = FakeTracker(3), FakeTracker(3), FakeTracker(3)
    recent.remember("a", a, (3, 1.0))
    recent.remember("b", b, (6, 2.0))
    assert recent.usable("a", (3, 1.0)) is a  # "a" is now the most recent
    recent.remember("c", c, (9, 3.0))
    assert len(recent) == 2
    assert recent.usable("b", (6, 2.0)) is None
    assert recent.usable("a", (3, 1.0)) is a and recent.usable("c", (9, 3.0)) is c


def test_a_changed_database_or_a_longer_tracker_is_not_used_and_is_dropped():
    recent = RecentTrackers()
    tracker = FakeTracker(3)
    recent.remember("a", tracker, (3, 1.0))
    assert recent.usable("a", (4, 1.5)) is None
    assert recent.usable("a", (3, 1.0)) is None  # dropped on the mismatch
    recent.remember("a", tracker, (3, 1.0))
    tracker.events.append("unsaved")
    assert recent.usable("a", (3, 1.0)) is None


def test_size_zero_keeps_nothing():
    recent = RecentTrackers(size=0)
    recent.remember("a", FakeTracker(1), (1, 1.0))
    assert len(recent) == 0


@pytest.mark.parametrize("raw, size", [("", 256), ("0", 0), (" 40 ", 40)])
def test_size_from_the_environment(monkeypatch, raw, size):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", raw)
    assert size_from_environment() == size


@pytest.mark.parametrize("raw", ["-1", "many", "1.5"])
def test_a_bad_size_is_a_clear_error(monkeypatch, raw):
    monkeypatch.setenv("TRACKER_CACHE_SIZE", raw)
    with pytest.raises(ValueError, match="TRACKER_CACHE_SIZE"):
        size_from_environment()
