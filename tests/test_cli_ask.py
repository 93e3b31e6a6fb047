"""`bakeoff ask` against a real chat server on 127.0.0.1: answers streamed one model after
another, printed as sent (no markup read), and stored as a run that `bakeoff runs` lists and
the viewer shows."""

from pathlib import Path

from bakeoff import api
from bakeoff.config import load_config
from bakeoff.store import Store
from tests.helpers.chat_server import chat_server
from tests.helpers.cli import bakeoff
from tests.web.client import get
from tests.web.conftest import serving

ANSWER = "[bold]Paris[/bold] is it"


def _config(root: Path, base_url: str) -> Path:
    models = "".join(f'[[models]]\nname = "{name}"\nprovider = "openai"\nbase_url = "{url}"\n'
                     f"max_retries = 0\n"
                     for name, url in (("first", base_url), ("second", base_url),
                                       ("down", "http://127.0.0.1:9/v1")))
    path = root / "bakeoff.toml"
    path.write_text(models)
    return path


def test_ask_streams_each_answer_and_stores_them_as_a_run(tmp_path: Path) -> None:
    with chat_server(ANSWER) as url:
        _config(tmp_path, url)
        result = bakeoff("ask", "Capital of France?", "-m", "first", "-m", "second",
                         cwd=tmp_path, env={"COLUMNS": "120"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count(ANSWER) == 2  # as the server sent it: "[bold]" is not read as markup
    assert out.index("first ─") < out.index(ANSWER) < out.index("second ─")
    assert "stored as run 1:" in out and "first token" in out
    runs = bakeoff("runs", cwd=tmp_path, env={"COLUMNS": "120"})
    assert runs.returncode == 0, runs.stderr
    assert "no store yet" not in runs.stderr and "│ 1   │" in runs.stdout
    assert "ask" in runs.stdout and "first, second" in runs.stdout
    store = Store(tmp_path / "bakeoff-results" / "bakeoff.sqlite")
    try:
        scores = store.scores(1)
        assert [(s.model, s.benchmark, s.metric, s.value) for s in scores] == [
            ("first", "ask", "answered", 1.0), ("second", "ask", "answered", 1.0)]
        completions = store.completions(list(scores[0].completion_keys))
        assert [c.text for c in completions.values()] == [ANSWER]
        sample = store.sample("ask", scores[0].sample_id)
        assert sample is not None and sample.input == "Capital of France?"
    finally:
        store.close()


def test_the_api_hands_over_each_piece_as_it_comes(tmp_path: Path) -> None:
    pieces: list[tuple[str, str]] = []
    with chat_server(ANSWER) as url:
        config = load_config(_config(tmp_path, url))
        result = api.ask(config, ["first"], "Capital?", store_file=tmp_path / "s.sqlite",
                         on_text=lambda model, text: pieces.append((model, text)))
    assert pieces == [("first", "[bold]Paris[/bold]"), ("first", " is"), ("first", " it")]
    [answer] = result.answers
    assert answer.completion is not None and answer.completion.text == ANSWER


def test_a_failed_model_is_stored_as_an_error_and_exits_1(tmp_path: Path) -> None:
    with chat_server(ANSWER) as url:
        _config(tmp_path, url)
        result = bakeoff("ask", "Capital?", "-m", "down", "-m", "first", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("down: error (connection")
    assert ANSWER in result.stdout
    store = Store(tmp_path / "bakeoff-results" / "bakeoff.sqlite")
    try:
        assert [(e.model, e.kind) for e in store.errors(1)] == [("down", "connection")]
        assert [s.model for s in store.scores(1)] == ["first"]
        run = store.run(1)
        assert run is not None and run.status == "finished"
    finally:
        store.close()


def test_the_viewer_shows_the_prompt_and_the_answers_side_by_side(tmp_path: Path) -> None:
    with chat_server(ANSWER) as url:
        _config(tmp_path, url)
        assert bakeoff("ask", "Capital of France?", "-m", "first", "-m", "second",
                       cwd=tmp_path).returncode == 0
    store = Store(tmp_path / "bakeoff-results" / "bakeoff.sqlite")
    try:
        sample_id = store.scores(1)[0].sample_id
    finally:
        store.close()
    with serving(tmp_path / "bakeoff-results" / "bakeoff.sqlite") as base:
        runs = get(base + "/runs").body
        item = get(f"{base}/runs/1/tasks/ask/item?id={sample_id}").body
    assert 'href="/runs/1"' in runs and "first, second" in runs
    assert "Capital of France?" in item and item.count('class="answer"') == 2
    assert item.count("[bold]Paris[/bold] is it") == 2


def test_an_answer_cut_off_at_max_tokens_says_so_where_it_stops(tmp_path: Path) -> None:
    with chat_server("again and again and", finish="length") as url:
        _config(tmp_path, url)
        result = bakeoff("ask", "Tell me", "-m", "first", "--max-tokens", "4", cwd=tmp_path,
                         env={"COLUMNS": "120"})
    assert result.returncode == 0, result.stderr
    assert "again and again and\n[cut off at 4 tokens; --max-tokens to raise it]" in result.stdout
    assert "(cut off at --max-tokens)" in result.stdout  # in the answers table too
    store = Store(tmp_path / "bakeoff-results" / "bakeoff.sqlite")
    try:
        [score] = store.scores(1)
        [completion] = store.completions(list(score.completion_keys)).values()
        assert completion.finish_reason == "length"  # the stored record keeps why it ended
    finally:
        store.close()


def test_an_answer_the_model_ended_has_no_cut_off_mark(tmp_path: Path) -> None:
    with chat_server(ANSWER) as url:
        _config(tmp_path, url)
        result = bakeoff("ask", "Capital?", "-m", "first", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "cut off" not in result.stdout
