"""The viewer over real HTTP on 127.0.0.1 and a real store: runs, a run with its report, a
task's items and filters, one item side by side, two runs compared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bakeoff.store import ScoreRow, Store
from bakeoff.store.sqlite import SpeedLevelRow, SpeedRequestRow
from bakeoff.types import Score
from bakeoff.web.compare import compare_runs
from tests.web.client import get
from tests.web.conftest import Served, serving
from tests.web.stored import MODELS, build_store, register_judged


def test_the_runs_are_listed_with_their_models(served: Served) -> None:
    assert get(served.url + "/").headers["Location"] == "/runs"
    page = get(served.url + "/runs").body
    assert 'href="/runs/1"' in page and 'href="/runs/2"' in page
    for model in MODELS:
        assert model in page
    assert "finished" in page and "quick" in page


def test_a_run_page_lists_its_tasks_with_filter_counts_and_embeds_its_report(
        served: Served) -> None:
    page = get(served.url + "/runs/1").body
    assert "open_ended" in page and "mmlu" in page
    assert "pika-7b: acc 0.556" in page and "orca-13b: answered 1.000" in page
    assert "models disagree (1)" in page and "errors (1)" in page
    assert '<iframe title="report" src="/runs/1/report">' in page
    report = get(served.url + "/runs/1/report")
    assert report.status == 200 and "bakeoff report" in report.body


def test_the_filters_pick_the_items(served: Served) -> None:
    items = served.url + "/runs/1/tasks/mmlu"
    assert _item_ids(get(items).body) == [f"mmlu/{i}" for i in range(10)]
    assert _item_ids(get(items + "?filter=disagree").body) == ["mmlu/4"]
    assert _item_ids(get(items + "?filter=errors").body) == ["mmlu/9"]
    assert _item_ids(get(items + "?filter=failed").body) == [f"mmlu/{i}" for i in range(4, 10)]
    assert get(items + "?filter=nonsense").status == 400
    assert get(served.url + "/runs/1/tasks/nothing").status == 404


def test_an_item_shows_every_models_answer_side_by_side(served: Served) -> None:
    page = get(served.url + "/runs/1/tasks/mmlu/item?id=mmlu/4").body
    assert "Question 4: pick one." in page
    assert page.count('class="answer"') == 3
    assert "The answer is A (run 1, item 4)" in page  # pika's completion
    assert "The answer is B (run 1, item 4)" in page  # orca's and wren's
    errored = get(served.url + "/runs/1/tasks/mmlu/item?id=mmlu/9").body
    assert "error (timeout, 3 attempts): timed out after 60 s" in errored
    trial = get(served.url + "/runs/1/tasks/open_ended/item?id=open_ended/0").body
    assert "Transcript" in trial and "Answer 2 to scene 0" in trial
    assert get(served.url + "/runs/1/tasks/mmlu/item?id=mmlu/99").status == 404
    assert get(served.url + "/runs/1/tasks/mmlu/item").status == 400


def test_two_runs_compared_show_the_difference_and_the_paired_test(served: Served) -> None:
    page = get(served.url + "/compare?a=1&b=2").body
    orca = _row(page, "orca-13b")
    assert "0.400 (n=10)" in orca and "1.000 (n=10)" in orca and "+0.600" in orca
    assert "mcnemar-exact" in orca and "0.03125 significant" in orca
    pika = _row(page, "pika-7b")
    # 5 of 9 (item 9 errored) against 6 of 10; the test pairs the 9 shared items.
    assert "0.556 (n=9)" in pika and "+0.044" in pika and "<td>9</td>" in pika
    assert "<span>1</span>" in pika and "significant" not in pika
    assert "wren-3b" not in page  # not in run 2
    assert get(served.url + "/compare?a=1&b=7").status == 404
    assert get(served.url + "/compare?a=1&b=x").status == 400
    assert "<form" in get(served.url + "/compare").body


def test_unknown_pages_and_methods_are_refused(served: Served) -> None:
    assert get(served.url + "/runs/9").status == 404
    assert get(served.url + "/runs/abc").status == 404
    assert get(served.url + "/elsewhere").status == 404


def test_a_continuous_metric_is_compared_by_the_paired_bootstrap() -> None:
    def rows(values: list[float]) -> list[ScoreRow]:
        return [ScoreRow("m", "humaneval", f"h/{i}", "pass@5", "generative", 0, v, None, ())
                for i, v in enumerate(values)]

    [difference] = compare_runs(rows([0.2, 0.4, 0.5, 0.1]), rows([0.9, 0.8, 0.7, 0.6, 1.0]))
    assert difference.test == "paired-bootstrap" and difference.shared == 4
    assert round(difference.difference, 3) == round(0.8 - 0.3, 3)
    assert difference.p_value is not None and 0 < difference.p_value <= 1


def test_a_long_task_is_shown_a_page_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "bakeoff.sqlite"
    store = Store(path)
    try:
        run_id = store.create_run("plan", "full", {"models": [{"name": "solo"}]}, {})
        for i in range(450):
            store.put_scores(run_id, "solo", "mmlu", "generative", 5,
                             [Score(f"mmlu/{i}", "acc", float(i % 2))], [])
    finally:
        store.close()
    with serving(path) as base:
        items = f"{base}/runs/{run_id}/tasks/mmlu"
        first = get(items).body
        assert _item_ids(first)[0] == "mmlu/0" and len(_item_ids(first)) == 200
        assert "?filter=all&amp;page=3" in first
        assert _item_ids(get(items + "?page=3").body)[-1] == "mmlu/449"
        assert len(_item_ids(get(items + "?filter=failed&page=2").body)) == 25
        assert get(items + "?page=4").status == 400
        assert get(items + "?page=x").status == 400


def _item_ids(page: str) -> list[str]:
    return re.findall(r'<a class="item" href="[^"]+">([^<]+)</a>', page)


def _row(page: str, model: str) -> str:
    found = re.search(rf"<tr><td>{re.escape(model)}</td>.*?</tr>", page)
    assert found is not None, page
    return found.group(0)


def test_a_runs_report_shows_the_latest_finished_speed_run(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    register_judged(monkeypatch)
    path = tmp_path / "bakeoff.sqlite"
    build_store(path)
    store = Store(path)
    speed_run = store.create_speed_run({"runs": 2}, {})
    # Two requests: first token after 0.25 s, then 41 output tokens in 1 s (41 tokens/s).
    requests = [SpeedRequestRow(index=i, warmup=False, sent=10.0 * i,
                                chunk_arrivals=(10.0 * i + 0.25, 10.0 * i + 1.25),
                                finished=10.0 * i + 1.25, input_tokens=12, output_tokens=41,
                                token_source="server", finish_reason="stop", error=None)
                for i in range(2)]
    store.put_speed_level(SpeedLevelRow(
        speed_run_id=speed_run, model=MODELS[0], model_identity=MODELS[0], workload="short",
        mode="concurrency", concurrency=1, rate=None, requests=2, errors=0, wall_s=2.5,
        output_tokens=82, throughput_tps=82 / 2.5, prompt_tokens=12,
        prompt_token_source="server", clipped_from=None), requests)
    store.set_speed_run_status(speed_run, "finished")
    store.close()
    with serving(path) as url:
        report = get(url + "/runs/1/report").body
    speed = report[report.index("<section id=speed>"):]
    speed = speed[:speed.index("</section>")]
    # (2 requests: the request count, then the p50 of each; a p90 of 2 is marked too few)
    assert f"<td>{MODELS[0]}</td><td>2</td><td>0.250</td>" in speed and "<td>41.0</td>" in speed
