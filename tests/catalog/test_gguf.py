"""The GGUF header reader: on a file written here in the format's layout, and on the bundled
models' real files."""

import struct
from pathlib import Path
from typing import Any

import pytest

from bakeoff.catalog import GGUFError, card_from_gguf, gguf, read_header
from bakeoff.catalog.loader import gguf_card
from bakeoff.providers.bundled import BUNDLED_MODELS, ensure_model


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def _kv(key: str, value_type: int, payload: bytes) -> bytes:
    return _string(key) + struct.pack("<I", value_type) + payload


def write_gguf(path: Path, kvs: list[bytes], tensors: list[tuple[str, tuple[int, ...]]],
               version: int = 3) -> Path:
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    infos = b"".join(_string(name) + struct.pack("<I", len(shape))
                     + b"".join(struct.pack("<Q", d) for d in shape) + struct.pack("<IQ", 0, 0)
                     for name, shape in tensors)
    path.write_bytes(head + b"".join(kvs) + infos)
    return path


def moe_file(path: Path) -> Path:
    vocab = struct.pack("<IQ", 8, 100) + b"".join(_string(f"t{i}") for i in range(100))
    return write_gguf(path, [
        _kv("general.architecture", 8, _string("llama")),
        _kv("general.name", 8, _string("Tiny MoE")),
        _kv("general.file_type", 4, struct.pack("<I", 15)),
        _kv("llama.context_length", 4, struct.pack("<I", 4096)),
        _kv("llama.expert_count", 4, struct.pack("<I", 8)),
        _kv("llama.expert_used_count", 4, struct.pack("<I", 2)),
        _kv("llama.rope.freq_base", 6, struct.pack("<f", 10000.0)),
        _kv("tokenizer.ggml.tokens", 9, vocab),
        _kv("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 100) + b"\0" * 400),
    ], [("token_embd.weight", (16, 100)), ("blk.0.ffn_up_exps.weight", (16, 32, 8)),
        ("blk.0.attn_q.weight", (16, 16))])


def test_a_moe_file_gives_its_architecture_size_context_and_quantisation(tmp_path: Path) -> None:
    path = moe_file(tmp_path / "tiny.gguf")
    header = read_header(path)
    assert header.version == 3 and header.architecture == "llama"
    assert header.metadata["llama.rope.freq_base"] == pytest.approx(10000.0)
    assert header.metadata["tokenizer.ggml.tokens"].count == 100
    card = card_from_gguf(path, "Tiny")
    experts = 16 * 32 * 8
    assert card.total_params == 1600 + experts + 256
    assert card.active_params == 1600 + experts * 2 // 8 + 256
    assert (card.architecture, card.expert_count, card.experts_per_token) == ("moe", 8, 2)
    assert (card.context_window, card.quantization) == (4096, "Q4_K_M")
    assert card.file_size_bytes == path.stat().st_size
    assert card.sources["context_window"] == "GGUF metadata of tiny.gguf"


def _dense_file(path: Path, label: str, *, output: bool) -> Path:
    """A dense model: a 1,000 x 500 token embedding, one 1,000 x 1,000 layer, and an output
    matrix of the embedding's shape when `output`."""
    tensors = [("token_embd.weight", (1000, 500)), ("blk.0.attn_q.weight", (1000, 1000))]
    return write_gguf(path, [_kv("general.architecture", 8, _string("qwen2")),
                             _kv("general.size_label", 8, _string(label))],
                      tensors + ([("output.weight", (1000, 500))] if output else []))


@pytest.mark.parametrize(("label", "output", "params"), [
    ("1.5M", True, 1_500_000),  # output.weight a copy of the tied embedding: counted once
    ("2M", True, 2_000_000),  # an untied output matrix of the same shape: counted
    ("1.5M", False, 1_500_000),  # tied, stored once (llama.cpp reuses token_embd)
    ("8x1M", True, 2_000_000),  # a label that gives no count: every tensor counted
])
def test_a_tied_embedding_stored_twice_is_counted_once(tmp_path: Path, label: str,
                                                        output: bool, params: int) -> None:
    card = card_from_gguf(_dense_file(tmp_path / "m.gguf", label, output=output), "m")
    assert card.total_params == card.active_params == params
    assert ("counted once" in (card.notes or "")) == (params == 1_500_000 and output)


def test_a_long_array_of_strings_is_skipped_the_same_across_read_chunks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = moe_file(tmp_path / "tiny.gguf")
    whole = read_header(path)
    for chunk in (8, 9, 13, 64):  # length prefixes and strings split at every offset
        monkeypatch.setattr(gguf, "_CHUNK", chunk)
        assert read_header(path) == whole


@pytest.mark.parametrize(("data", "message"), [
    (b"GGML" + b"\0" * 20, "no GGUF magic"),
    (b"GGUF" + struct.pack("<IQQ", 1, 0, 0), "version 1 is not supported"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + _string("k"), "ends inside the header"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1)
     + _kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 100) + _string("t0")),
     "ends inside the header"),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 1)
     + _kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 65) + _string("t0") * 64
           + struct.pack("<Q", 5) + b"t"),
     "ends inside the header"),
])
def test_a_bad_file_is_one_clear_error(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(data)
    with pytest.raises(GGUFError, match=message):
        read_header(path)


EXPECTED: dict[str, dict[str, Any]] = {
    "smollm2-135m-instruct": {"architecture": "llama", "quantization": "Q4_1",
                              "context": 8192, "label": "135M", "parameters": 134_515_008},
    "gemma-3-270m": {"architecture": "gemma3", "quantization": "Q4_K_M",
                     "context": 32768, "label": "270M", "parameters": 268_098_176},
    "qwen2.5-coder-0.5b-instruct": {"architecture": "qwen2", "quantization": "Q4_K_M",
                                    "context": 32768, "label": "0.5B",
                                    # 0.49B as the vendor counts it, not 630M: the file
                                    # stores the tied embedding twice
                                    "parameters": 494_032_768},
}


@pytest.mark.parametrize("name", list(BUNDLED_MODELS))
def test_the_bundled_gguf_files_read_as_their_model_cards_say(name: str) -> None:
    path = ensure_model(name)
    header = read_header(path)
    expected = EXPECTED[name]
    assert header.architecture == expected["architecture"]
    assert header.metadata["general.size_label"] == expected["label"]
    card = gguf_card(path, name, shipped=name)
    assert (card.quantization, card.context_window) == (expected["quantization"],
                                                       expected["context"])
    assert card.architecture == "dense" and card.total_params == card.active_params
    assert card.total_params == expected["parameters"]
    assert card.license is not None and card.sources["license"].startswith("https://")
    # The names shown for it (`bakeoff models`, the spec sheet) say the file's quantisation.
    assert f"(bundled, {expected['quantization']})" in card.display_name
    assert expected["quantization"] in BUNDLED_MODELS[name].description
