"""pipeline/stats.py: a stage's time, and the CPU time that is its cost on a busy machine."""

import time

from pipeline.stats import StageStats


def test_a_stage_that_waits_costs_wall_time_but_no_cpu():
    stats = StageStats()
    with stats.stage("read", 3) as s:
        time.sleep(0.3)  # as a read waits for the disk or the network
        s.pages_out = 3
    count = stats.stages["read"]
    assert count.seconds >= 0.3 and count.cpu_seconds < 0.05
    assert (count.pages_in, count.pages_out) == (3, 3)


def test_a_stage_that_works_costs_its_cpu_time_and_both_add_up_over_shards():
    stats, other = StageStats(), StageStats()
    for into in (stats, other):
        with into.stage("extract", 2):
            end = time.thread_time() + 0.2
            while time.thread_time() < end:
                pass
    stats.merge(other)
    count = stats.stages["extract"]
    # Two clocks: the CPU clock may run a few microseconds ahead of the wall clock.
    assert 0.4 <= count.cpu_seconds <= count.seconds + 0.002
    assert count.pages_in == 4
    assert StageStats.from_dict(stats.to_dict()).stages["extract"].cpu_seconds == count.cpu_seconds
    assert stats.rows()[0]["cpu_seconds"] == count.cpu_seconds
