"""The run's progress: a bar per model and one overall, whose time left is the plan's estimate
until enough items finished, then the average pace since the start (on a virtual clock)."""

from rich.progress import Progress

from bakeoff.cli import RunProgress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _progress() -> tuple[Progress, RunProgress, Clock]:
    clock = Clock()
    progress = Progress(disable=True)
    return progress, RunProgress(progress, clock=clock), clock


def test_bars_per_model_and_overall_count_what_a_resumed_run_did_already() -> None:
    progress, sink, _ = _progress()
    sink.start("a", "mmlu", 10, 4)
    sink.start("a", "gsm8k", 5, 0)
    sink.start("b", "mmlu", 10, 0)
    sink.advance("b", "mmlu", error=True)
    rows = {t.description: (t.completed, t.total, t.fields["note"]) for t in progress.tasks}
    assert rows == {RunProgress.OVERALL: (5, 25, "time left: estimating"),
                    "a": (4, 15, ""), "b · mmlu": (1, 10, "1 errors")}


def test_the_estimate_counts_down_then_the_average_pace_takes_over() -> None:
    _, sink, clock = _progress()
    sink.set_estimate(600.0)
    sink.start("a", "mmlu", 100, 0)
    assert sink.eta_text() == "about 10 min left"
    for _ in range(RunProgress.SETTLED - 1):
        clock.now += 30.0  # far slower than estimated: the estimate holds until settled
        sink.advance("a", "mmlu", error=False)
    assert sink.eta_text() == "about 6 min left"  # 600 s - 270 s
    clock.now += 30.0
    sink.advance("a", "mmlu", error=False)
    assert sink.eta_text() == "about 45 min left"  # 90 items left at 30 s each
    for _ in range(90):
        sink.advance("a", "mmlu", error=False)
    assert sink.eta_text() == "done"


def test_without_an_estimate_the_time_left_waits_for_the_pace() -> None:
    _, sink, clock = _progress()
    sink.set_estimate(None)
    sink.start("a", "mmlu", 40, 0)
    assert sink.eta_text() == "time left: estimating"
    for _ in range(RunProgress.SETTLED):
        clock.now += 2.0
        sink.advance("a", "mmlu", error=False)
    assert sink.eta_text() == "about 1 min left"  # 30 items at 2 s


def _plain(every_s: float = 30.0) -> tuple[RunProgress, Clock, list[str]]:
    clock = Clock()
    lines: list[str] = []
    sink = RunProgress(Progress(disable=True), clock=clock, plain=lines.append, every_s=every_s)
    return sink, clock, lines


def test_without_a_terminal_a_plain_line_comes_every_interval_and_at_each_task_end() -> None:
    sink, clock, lines = _plain()
    sink.set_estimate(1200.0)
    sink.start("a", "mmlu", 3, 0)
    sink.start("a", "gsm8k", 100, 0)
    for _ in range(3):  # quick items: no line until mmlu ends
        clock.now += 1.0
        sink.advance("a", "mmlu", error=False)
    assert lines == ["progress: 3/103 items, 0:00:03 elapsed, about 20 min left"]
    clock.now += 20.0
    sink.advance("a", "gsm8k", error=False)
    assert len(lines) == 1  # 20 s since the last line: not yet
    clock.now += 10.0
    sink.advance("a", "gsm8k", error=False)
    assert lines[1:] == ["progress: 5/103 items, 0:00:33 elapsed, about 20 min left"]


def test_the_plain_line_counts_a_resumed_run_and_shows_hours() -> None:
    sink, clock, lines = _plain(every_s=60.0)
    sink.start("a", "mmlu", 10, 8)
    clock.now = 59.0
    sink.advance("a", "mmlu", error=True)
    assert lines == []
    clock.now = 2 * 3600 + 5 * 60 + 7.0
    sink.advance("a", "mmlu", error=False)  # the task's last item
    assert lines == ["progress: 10/10 items, 2:05:07 elapsed, done"]


def test_with_a_terminal_the_bars_show_it_and_no_plain_line_is_made() -> None:
    _, sink, clock = _progress()
    sink.start("a", "mmlu", 1, 0)
    clock.now += 100.0
    sink.advance("a", "mmlu", error=False)
    assert sink.plain_line().startswith("progress: 1/1 items, 0:01:40 elapsed")
