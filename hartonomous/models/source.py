"""What a path to ingest holds: the model file, and the files that travel with it.

The files are selected by the ingestion path policy (:func:`hartonomous.ingest.select_files`):
hidden entries skipped, directory symlinks not followed, every file resolved inside the allowed
roots. In a folder, model files are recognised by their bytes (never by name); when there are
several (say ``model.safetensors`` and ``onnx/model.onnx``), the first format of
safetensors > gguf > torch > onnx is the model, and two files of that format (a sharded
checkpoint) are refused. The other small files (``config.json``, the tokenizer files,
sentence-transformers' ``modules.json`` and ``1_Pooling/config.json``...) are kept as sidecars,
byte for byte, so an exported folder loads like the original. For a single file, the Hugging
Face files beside it are the sidecars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hartonomous.formats import ModelFormat, ModelFormatError, detect_format
from hartonomous.ingest import select_files
from hartonomous.ingest.exceptions import PathRefusedError, SourceNotFoundError
from hartonomous.ingest.paths import check_allowed
from hartonomous.ingest.request import as_uri
from hartonomous.models.exceptions import NoModelFileError

SIDECAR_MAX_BYTES = 16 * 1024 * 1024
SIDECARS_TOTAL_MAX_BYTES = 64 * 1024 * 1024
FORMAT_PREFERENCE = (ModelFormat.SAFETENSORS, ModelFormat.GGUF, ModelFormat.TORCH, ModelFormat.ONNX)
HF_SIDECARS = (
    "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
    "special_tokens_map.json", "added_tokens.json", "vocab.txt", "vocab.json", "merges.txt",
    "tokenizer.model", "sentencepiece.bpe.model", "preprocessor_config.json",
)
GENERIC_STEMS = frozenset({"model", "pytorch_model", "model_weights", "weights", "consolidated", "ggml-model"})


@dataclass(frozen=True)
class Sidecar:
    """A file stored with a model: its path relative to the model's folder, and its bytes."""

    path: str
    content: bytes


@dataclass(frozen=True)
class ModelSource:
    """The model file to decompose and its sidecars."""

    root: Path
    weights: Path
    weights_path: str
    format: ModelFormat
    sidecars: tuple[Sidecar, ...] = ()
    skipped: tuple[tuple[str, str], ...] = field(default=())

    @property
    def default_name(self) -> str:
        """The file's stem, or its folder's name for generic stems such as ``model``."""
        stem = self.weights.name.split(".")[0]
        return self.root.name if stem.lower() in GENERIC_STEMS and self.root.name else stem


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _detect(path: Path) -> tuple[ModelFormat | None, str | None]:
    """The model format of a file, or why it is not even kept as a sidecar (a bare pickle)."""
    try:
        return detect_format(path), None
    except ModelFormatError as exc:
        with open(path, "rb") as fh:
            head = fh.read(2)
        return None, exc.problem if head[:1] == b"\x80" else None
    except OSError as exc:
        return None, str(exc)


def resolve_source(target: str | Path, roots: Sequence[Path]) -> ModelSource:
    """The model file and sidecars at ``target`` (a path or ``file://`` URI of a model file, or of
    a folder holding one), under the path policy with ``roots`` as the allowed roots."""
    selection = select_files(as_uri(target), roots)
    if selection.root.is_file():
        return _single_file(selection.root, roots)
    root = selection.root
    found: dict[ModelFormat, list[Path]] = {}
    others: list[Path] = []
    unread: list[tuple[str, str]] = []
    for file in selection.files:
        fmt, reason = _detect(file)
        if fmt is not None:
            found.setdefault(fmt, []).append(file)
        elif reason is not None:
            unread.append((_relative(file, root), reason))
        else:
            others.append(file)
    fmt = next((f for f in FORMAT_PREFERENCE if f in found), None)
    if fmt is None:
        why = "".join(f"; {p}: {r}" for p, r in unread[:5])
        raise NoModelFileError(f"{root}: no safetensors, GGUF, PyTorch or ONNX file in this folder{why}")
    if len(found[fmt]) > 1:
        names = ", ".join(_relative(p, root) for p in found[fmt][:5])
        raise NoModelFileError(
            f"{root}: {len(found[fmt])} {fmt.value} files ({names}); sharded checkpoints are not "
            "supported: ingest one file"
        )
    weights = found[fmt][0]
    skipped = [(_relative(p, root), "another model file") for f in found if f is not fmt for p in found[f]]
    skipped += unread + [(p, reason) for p, reason in selection.refused]
    sidecars, too_big = _read_sidecars(root, others)
    return ModelSource(root, weights, _relative(weights, root), fmt, sidecars, tuple(skipped + too_big))


def _single_file(weights: Path, roots: Sequence[Path]) -> ModelSource:
    fmt = detect_format(weights)
    folder = weights.parent
    candidates = []
    for name in HF_SIDECARS:
        candidate = folder / name
        if candidate.is_file():
            try:
                candidates.append(check_allowed(candidate, roots))
            except (PathRefusedError, SourceNotFoundError):
                continue
    sidecars, skipped = _read_sidecars(folder, candidates)
    return ModelSource(folder, weights, weights.name, fmt, sidecars, tuple(skipped))


def _read_sidecars(root: Path, files: Sequence[Path]) -> tuple[tuple[Sidecar, ...], list[tuple[str, str]]]:
    kept: list[Sidecar] = []
    skipped: list[tuple[str, str]] = []
    total = 0
    for file in sorted(files):
        rel = _relative(file, root)
        size = file.stat().st_size
        if size > SIDECAR_MAX_BYTES:
            skipped.append((rel, f"{size} bytes, over the {SIDECAR_MAX_BYTES}-byte sidecar cap"))
            continue
        if total + size > SIDECARS_TOTAL_MAX_BYTES:
            skipped.append((rel, f"sidecars over {SIDECARS_TOTAL_MAX_BYTES} bytes in total"))
            continue
        kept.append(Sidecar(rel, file.read_bytes()))
        total += size
    return tuple(kept), skipped
