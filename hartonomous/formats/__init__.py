"""Model file readers and writers: safetensors, GGUF, ONNX and PyTorch zip checkpoints.

Open any supported file with :func:`open_model` (format detected from its bytes); every reader
implements :class:`ModelFile` and streams one tensor at a time. Writers turn raw tensor bytes
back into safetensors or GGUF files. Pure helpers parse layer names (:mod:`.layers`), compute
statistics (:mod:`.stats`), hash (:mod:`.hashing`) and chunk (:mod:`.chunking`) tensor bytes.
"""

from __future__ import annotations

from hartonomous.formats.chunking import (
    Chunk,
    ChunkStrategy,
    cdc_boundaries,
    chunk_bytes,
    fixed_boundaries,
)
from hartonomous.formats.detect import ModelFormat, detect_format, open_model
from hartonomous.formats.exceptions import (
    CorruptModelFileError,
    ModelFormatError,
    UnsafeModelFileError,
    UnsupportedModelFormatError,
)
from hartonomous.formats.gguf_header import GGUFKeyValue
from hartonomous.formats.gguf_reader import GGUFFile
from hartonomous.formats.gguf_writer import kvs_from_metadata, write_gguf
from hartonomous.formats.hashing import DEFAULT_ALGORITHM, hash_bytes, hash_file, hash_stream, new_hasher
from hartonomous.formats.layers import TensorRole, detect_family, layer_table, parse_tensor_name
from hartonomous.formats.model import ModelFile, TensorInfo
from hartonomous.formats.onnx_reader import OnnxFile
from hartonomous.formats.safetensors_reader import SafetensorsFile
from hartonomous.formats.safetensors_writer import write_safetensors
from hartonomous.formats.stats import TensorStats, row_norms, tensor_stats
from hartonomous.formats.torch_reader import TorchZipFile

__all__ = [
    "DEFAULT_ALGORITHM",
    "Chunk",
    "ChunkStrategy",
    "CorruptModelFileError",
    "GGUFFile",
    "GGUFKeyValue",
    "ModelFile",
    "ModelFormat",
    "ModelFormatError",
    "OnnxFile",
    "SafetensorsFile",
    "TensorInfo",
    "TensorRole",
    "TensorStats",
    "TorchZipFile",
    "UnsafeModelFileError",
    "UnsupportedModelFormatError",
    "cdc_boundaries",
    "chunk_bytes",
    "detect_family",
    "detect_format",
    "fixed_boundaries",
    "hash_bytes",
    "hash_file",
    "hash_stream",
    "kvs_from_metadata",
    "layer_table",
    "new_hasher",
    "open_model",
    "parse_tensor_name",
    "row_norms",
    "tensor_stats",
    "write_gguf",
    "write_safetensors",
]
