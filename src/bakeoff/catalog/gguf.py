"""Read a GGUF file's header: its metadata key-values and tensor shapes, no weights, no deps.

The layout (GGUF v2 and v3, little-endian): the magic `GGUF`, a uint32 version, a uint64
tensor count and a uint64 key-value count; then each key-value (a string key, a uint32 type,
the value); then each tensor's info (a string name, a uint32 dimension count, uint64
dimensions, a uint32 type, a uint64 offset). A string is a uint64 length and UTF-8 bytes; an
array is a uint32 element type, a uint64 count and the elements. Version 1 (uint32 counts) is
not read: llama.cpp dropped it in 2023.

Large arrays (a tokenizer's vocabulary) are skipped over, not kept: only their length is.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from bakeoff.catalog.card import ModelCard

MAGIC = b"GGUF"
# Arrays longer than this are stored as their length only.
_KEEP_ARRAY = 64

# value type -> struct format of a scalar of that type (8: string, 9: array are read apart).
_SCALARS: dict[int, str] = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
                            7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_LENGTH = struct.Struct("<Q")  # a string's length prefix
_CHUNK = 1 << 20  # bytes read at a time when skipping a long array of strings

# llama.cpp's `llama_ftype` (general.file_type): what most tensors are quantised to.
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
    38: "MXFP4_MOE",
}


class GGUFError(Exception):
    """The file is not a GGUF file bakeoff can read; the message names the file."""


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    ggml_type: int

    @property
    def elements(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    metadata: dict[str, Any]
    tensors: tuple[TensorInfo, ...]

    @property
    def architecture(self) -> str | None:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else None

    def arch_value(self, key: str) -> Any:
        """`<architecture>.<key>`, e.g. arch_value("context_length")."""
        return self.metadata.get(f"{self.architecture}.{key}")

    @property
    def parameter_count(self) -> int:
        """The model's parameters: every tensor's elements, a tied embedding counted once."""
        stored = sum(t.elements for t in self.tensors)
        copy = self.tied_output_copy
        return stored - (copy.elements if copy is not None else 0)

    @property
    def tied_output_copy(self) -> TensorInfo | None:
        """`output.weight` when it is a stored copy of a tied `token_embd.weight`, else None.

        GGUF does not record whether the embeddings are tied: llama.cpp reuses token_embd when
        the file has no output matrix, but some converters write the tied matrix twice (the
        official Qwen2.5 0.5B files do, which made 0.49B read as 630M). A copy has the
        embedding's shape, and leaving it out brings the count nearer the file's own size
        label ("0.5B") than keeping it; an untied output matrix (Llama 3 8B's) does not."""
        by_name = {t.name: t for t in self.tensors}
        output, embedding = by_name.get("output.weight"), by_name.get("token_embd.weight")
        label = size_label_count(self.metadata.get("general.size_label"))
        if output is None or embedding is None or output.shape != embedding.shape or not label:
            return None
        stored = sum(t.elements for t in self.tensors)
        once = stored - output.elements
        return output if abs(once - label) < abs(stored - label) else None

    @property
    def expert_parameter_count(self) -> int:
        """Elements of the stacked expert tensors (`*_exps*`: every expert of a layer)."""
        return sum(t.elements for t in self.tensors if "_exps" in t.name)

    @property
    def file_type(self) -> str | None:
        code = self.metadata.get("general.file_type")
        return FILE_TYPES.get(code, f"type {code}") if isinstance(code, int) else None


_LABEL = re.compile(r"(\d+(?:\.\d+)?)([KMBT])")
_LABEL_SCALE = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def size_label_count(label: object) -> float | None:
    """A size label's parameter count: "0.5B" is 5e8, "135M" 1.35e8; None for any other
    label (a mixture's "8x7B", none at all)."""
    match = _LABEL.fullmatch(label.strip()) if isinstance(label, str) else None
    return None if match is None else float(match[1]) * _LABEL_SCALE[match[2]]


def read_header(path: Path) -> GGUFHeader:
    try:
        with path.open("rb") as file:
            return _read(_Reader(file))
    except OSError as exc:
        raise GGUFError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (struct.error, UnicodeDecodeError, EOFError) as exc:
        raise GGUFError(f"{path}: not a readable GGUF header ({exc})") from None
    except GGUFError as exc:
        raise GGUFError(f"{path}: {exc}") from None


class _Reader:
    def __init__(self, file: BinaryIO) -> None:
        self.file = file

    def take(self, size: int) -> bytes:
        data = self.file.read(size)
        if len(data) != size:
            raise EOFError("file ends inside the header")
        return data

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return self.take(self.unpack("<Q")).decode("utf-8")

    def skip(self, size: int) -> None:
        self.file.seek(size, 1)

    def skip_strings(self, count: int) -> None:
        """Walk past `count` strings reading only their lengths, a chunk at a time: a
        tokenizer's vocabulary has ~150k, too many to read one by one when a user waits."""
        base, at, size = self.file.tell(), 0, 0  # `at`: offset in the chunk read at `base`
        chunk, length = b"", _LENGTH.unpack_from
        for _ in range(count):
            if at + 8 > size:
                base += at
                self.file.seek(base)
                chunk, at = self.file.read(_CHUNK), 0
                size = len(chunk)
                if size < 8:
                    raise EOFError("file ends inside the header")
            at += 8 + length(chunk, at)[0]
        self.file.seek(base + at - 1)
        self.take(1)  # the last string's last byte is there


def require_gguf(path: Path) -> Path:
    """`path`, when it is a readable file that starts as a GGUF file does; else GGUFError,
    before llama.cpp is asked to load it (it reports a wrong file with a bare crash)."""
    try:
        with path.open("rb") as file:
            magic = file.read(len(MAGIC))
    except OSError as error:
        raise GGUFError(f"{path}: cannot read the model file ({error.strerror})") from None
    if magic != MAGIC:
        raise GGUFError(f"{path}: not a GGUF file (no GGUF magic)")
    return path


def _read(reader: _Reader) -> GGUFHeader:
    if reader.take(4) != MAGIC:
        raise GGUFError("not a GGUF file (no GGUF magic)")
    version = reader.unpack("<I")
    if version not in (2, 3):
        raise GGUFError(f"GGUF version {version} is not supported (2 and 3 are)")
    tensor_count, kv_count = reader.unpack("<Q"), reader.unpack("<Q")
    metadata = {}
    for _ in range(kv_count):
        key = reader.string()
        metadata[key] = _value(reader, reader.unpack("<I"))
    tensors = tuple(_tensor(reader) for _ in range(tensor_count))
    return GGUFHeader(version=version, metadata=metadata, tensors=tensors)


def _value(reader: _Reader, value_type: int) -> Any:
    if value_type in _SCALARS:
        return reader.unpack(_SCALARS[value_type])
    if value_type == _STRING:
        return reader.string()
    if value_type == _ARRAY:
        return _array(reader)
    raise GGUFError(f"unknown metadata value type {value_type}")


def _array(reader: _Reader) -> Any:
    element_type, count = reader.unpack("<I"), reader.unpack("<Q")
    if count <= _KEEP_ARRAY:
        return [_value(reader, element_type) for _ in range(count)]
    if element_type in _SCALARS:
        reader.skip(count * struct.calcsize(_SCALARS[element_type]))
    elif element_type == _STRING:
        reader.skip_strings(count)
    else:
        for _ in range(count):
            _value(reader, element_type)
    return ArrayLength(count)


@dataclass(frozen=True)
class ArrayLength:
    """Stands in for a long array: how many elements it had."""

    count: int


def _tensor(reader: _Reader) -> TensorInfo:
    name = reader.string()
    dims = reader.unpack("<I")
    shape = tuple(reader.unpack("<Q") for _ in range(dims))
    ggml_type = reader.unpack("<I")
    reader.unpack("<Q")  # offset into the data section: not needed
    return TensorInfo(name=name, shape=shape, ggml_type=ggml_type)


def card_from_gguf(path: Path, name: str) -> ModelCard:
    """A spec sheet derived from a GGUF file's own metadata (sourced to that file)."""
    header = read_header(path)
    source = f"GGUF metadata of {path.name}"
    total = header.parameter_count
    experts = _positive_int(header.arch_value("expert_count"))
    used = _positive_int(header.arch_value("expert_used_count"))
    fields: dict[str, Any] = {
        "total_params": total or None,
        "architecture": ("moe" if experts and experts > 1 else "dense") if total else None,
        "expert_count": experts if experts and experts > 1 else None,
        "experts_per_token": used if experts and experts > 1 else None,
        "active_params": _active_params(header, experts, used) if total else None,
        "context_window": _positive_int(header.arch_value("context_length")),
        "quantization": header.file_type,
        "file_size_bytes": path.stat().st_size,
    }
    present = {key: value for key, value in fields.items() if value is not None}
    title = header.metadata.get("general.name")
    label = header.metadata.get("general.size_label")
    twice = (" (its output matrix, a stored copy of the tied token embedding, counted once)"
             if header.tied_output_copy is not None else "")
    notes = (f"Parameters are the sum of the tensor elements in the file{twice}"
             + (f"; the file's size label says {label}." if label else "."))
    return ModelCard(name=_card_name(name), display_name=title if isinstance(title, str) else name,
                     sources=dict.fromkeys(present, source), notes=notes, **present)


def _active_params(header: GGUFHeader, experts: int | None, used: int | None) -> int:
    """All parameters, less the experts a token does not go through."""
    total = header.parameter_count
    if not experts or experts <= 1 or not used:
        return total
    expert = header.expert_parameter_count
    return total - expert + expert * used // experts


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _card_name(name: str) -> str:
    """Card names are lower-case slugs; a configured model name may not be."""
    slug = "".join(c if c.isalnum() or c in "._-" else "-" for c in name.lower()).lstrip("._-")
    return slug or "model"
