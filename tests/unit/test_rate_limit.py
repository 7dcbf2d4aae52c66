"""Per-conversation and per-address rate limits (bot/channels/rate_limit.py), on a clock the
test moves by hand."""
import pytest

from bot.channels.rate_limit import (DEFAULT_ADDRESS, DEFAULT_SENDER, Buckets,
                                     ConfigurationError, RateLimits, Rule)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.mark.parametrize("text, per_second, burst", [
    ("30/minute burst 30", 0.5, 30), ("2/s burst 5", 2.0, 5), ("120/min", 2.0, 120),
    ("1/second", 1.0, 1), (" 6 / m burst 3 ", 0.1, 3)])
def test_rules_are_read_as_written(text, per_second, burst):
    assert Rule.parse("X", text) == Rule(per_second, burst)


@pytest.mark.parametrize("text", ["fast", "30", "30/hour", "-1/s", "0/s", "1/s burst -2", ""])
def test_a_rule_that_cannot_be_read_names_the_setting_and_the_format(text):
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_SENDER=.*burst"):
        Rule.parse("RATE_LIMIT_SENDER", text)


def test_off_turns_a_limit_off():
    assert Rule.parse("X", "off") is None
    limits = RateLimits.from_environ({"RATE_LIMIT_SENDER": "off", "RATE_LIMIT_ADDRESS": "off"})
    assert all(limits.check("rest:a", "203.0.113.9") is None for _ in range(1000))


def test_the_defaults_let_a_whole_scripted_triage_through_at_once():
    limits = RateLimits.from_environ({})
    # make safety-report plays up to 25 messages of one case without pause
    assert Rule.parse("", DEFAULT_SENDER).burst >= 25 and Rule.parse("", DEFAULT_ADDRESS).burst >= 30
    assert all(limits.check("rest:a", "203.0.113.9") is None for _ in range(25))


def test_a_burst_then_the_steady_rate():
    clock = Clock()
    buckets = Buckets(Rule(per_second=0.5, burst=3), clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(2.0)  # one token every two seconds
    clock.now += 2.0
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    clock.now += 60
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]  # never more than the burst


def test_one_flooding_conversation_leaves_the_others_alone():
    clock = Clock()
    limits = RateLimits(Rule(0.5, 5), Rule(10.0, 1000), clock=clock)
    refused = [limits.check("rest:flood", "198.51.100.1") for _ in range(50)]
    assert sum(r is None for r in refused) == 5
    assert {r.limit for r in refused if r} == {"sender"}
    assert all(r.retry_after >= 1 for r in refused if r)
    assert all(limits.check(f"rest:person-{i}", "198.51.100.1") is None for i in range(20))


def test_one_address_with_many_conversations_is_limited_as_one():
    clock = Clock()
    limits = RateLimits(Rule(0.5, 5), Rule(1.0, 10), clock=clock)
    results = [limits.check(f"socketio:s{i}", "198.51.100.7") for i in range(40)]
    assert sum(r is None for r in results) == 10
    assert {r.limit for r in results if r} == {"address"}
    assert limits.check("socketio:other", "198.51.100.8") is None


def test_an_address_refusal_gives_the_conversation_its_token_back():
    clock = Clock()
    limits = RateLimits(Rule(0.01, 2), Rule(0.01, 1), clock=clock)
    assert limits.check("rest:a", "198.51.100.7") is None
    assert limits.check("rest:a", "198.51.100.7").limit == "address"
    # the conversation still has one message left, from another address
    assert limits.check("rest:a", "198.51.100.8") is None


def test_exempt_addresses_and_trusted_servers_skip_only_the_address_limit():
    clock = Clock()
    limits = RateLimits(Rule(0.5, 3), Rule(1.0, 2), exempt="127.0.0.1,10.0.0.0/8", clock=clock)
    assert all(limits.check(f"rest:{i}", "10.1.2.3") is None for i in range(50))
    assert all(limits.check(f"rest:x{i}", "198.51.100.1", address_limited=False) is None
               for i in range(50))
    assert [limits.check("rest:same", "127.0.0.1") is None for _ in range(5)] == \
        [True, True, True, False, False]


def test_x_forwarded_for_counts_only_from_a_trusted_proxy():
    limits = RateLimits(None, None, trusted_proxies="127.0.0.1")
    assert limits.client_address("127.0.0.1", "203.0.113.5") == "203.0.113.5"
    assert limits.client_address("127.0.0.1", "1.2.3.4, 203.0.113.5") == "203.0.113.5"
    assert limits.client_address("198.51.100.2", "203.0.113.5") == "198.51.100.2"  # forged
    assert RateLimits(None, None).client_address("127.0.0.1", "203.0.113.5") == "127.0.0.1"


def test_a_bad_network_in_the_settings_is_refused():
    with pytest.raises(ConfigurationError, match="RATE_LIMIT_EXEMPT.*'localhost'"):
        RateLimits.from_environ({"RATE_LIMIT_EXEMPT": "localhost"})


def test_idle_clients_are_forgotten():
    clock = Clock()
    buckets = Buckets(Rule(1.0, 2), clock)
    for i in range(5000):
        buckets.take(f"k{i}")
    clock.now += 3600
    for i in range(5000):
        buckets.take(f"new{i}")
    assert len(buckets) < 10_000 - 4000
