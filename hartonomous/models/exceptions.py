"""Errors of storing models as rows and exporting them back."""

from __future__ import annotations

from hartonomous.exceptions import HartonomousError


class ModelStoreError(HartonomousError):
    """Base of the errors of :mod:`hartonomous.models`."""


class ModelExistsError(ModelStoreError):
    """A model of that name is stored already, from a different file."""


class ModelNotFoundError(ModelStoreError):
    """No stored model has that name."""


class NoModelFileError(ModelStoreError):
    """A folder holds no model file, or several that are not one model."""


class ExportError(ModelStoreError):
    """The stored model cannot be written in the requested form (e.g. quantized to safetensors)."""


class StoredModelCorruptError(ModelStoreError):
    """Bytes read back from the store do not match their recorded content hash."""
