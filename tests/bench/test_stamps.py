"""bench.stamps.split: an admission the harness timed, cut at the server's own timestamps."""

from __future__ import annotations

from bench.stamps import split


def test_each_admission_is_cut_into_its_three_legs() -> None:
    timed = [("v1", 10.000, 10.010), ("v2", 20.000, 20.004)]
    stamps = {
        "started": {"v1": 10.002, "v2": 20.001},
        "sent": {"v1": 10.003, "v2": 20.003},
    }
    legs = split(timed, stamps)
    assert legs["to_server"]["count"] == 2
    assert legs["to_server"]["max_ms"] == 2.0
    assert legs["in_server"]["max_ms"] == 2.0 and legs["in_server"]["p50_ms"] == 1.0
    assert legs["to_guest"]["max_ms"] == 7.0 and legs["to_guest"]["p50_ms"] == 1.0


def test_admissions_the_server_did_not_stamp_or_stamped_out_of_order_are_left_out() -> None:
    timed = [("unseen", 1.0, 2.0), ("warm-up", 3.0, 4.0), ("fine", 5.0, 6.0)]
    stamps = {
        "started": {"warm-up": 2.5, "fine": 5.2},  # warm-up: a stamp from before the emit
        "sent": {"warm-up": 3.5, "fine": 5.4},
    }
    legs = split(timed, stamps)
    assert legs["in_server"]["count"] == 1
    assert legs["in_server"]["p50_ms"] == 200.0


def test_a_frame_read_before_the_server_noted_sending_it_counts_as_sent_on_arrival() -> None:
    timed = [("v1", 1.000, 1.004)]
    stamps = {"started": {"v1": 1.001}, "sent": {"v1": 1.005}}
    legs = split(timed, stamps)
    assert legs["in_server"]["count"] == 1
    assert legs["in_server"]["max_ms"] == 3.0
    assert legs["to_guest"]["max_ms"] == 0.0
