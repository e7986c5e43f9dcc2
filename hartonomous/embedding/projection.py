"""The 3-D projection of an embedder's vectors: a UMAP reducer fitted on the corpus.

Rule (documented in the README too):
- a projection is fitted by ``hartonomous embeddings refit-projection`` (the demo calls it), on
  a random sample of at most ``projection_max_fit_points`` stored vectors, and only once at
  least ``projection_min_points`` exist; each fit is a new version, persisted under
  ``<state dir>/projections/<host_port_database>/<embedder>/v<version>.pkl`` and recorded in
  ``embedders``;
- the refit then projects every stored embedding with the new version;
- the embedder service projects new vectors with the current version's ``transform``; before
  any version exists it stores NULL, and the first refit fills those rows.

The reducer uses the approximate nearest-neighbour index (``force_approximation_algorithm``)
even for small corpora: it makes ``transform`` of new points cost about 0.5 ms each instead of
a full distance matrix against the training set.
"""

from __future__ import annotations

import os
import pickle
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hartonomous.config import Settings
from hartonomous.embedding.encoder import Vectors
from hartonomous.embedding.exceptions import ProjectionError

DEFAULT_PARAMS: dict[str, Any] = {
    "n_components": 3,
    "n_neighbors": 15,
    "min_dist": 0.1,
    "metric": "cosine",
    "random_state": 42,
    "force_approximation_algorithm": True,
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def projection_path(settings: Settings, embedder: str, version: int) -> Path:
    """Where version ``version`` of ``embedder``'s projection is persisted: under the state
    directory, per database (host, port, name) and embedder, since versions count per database."""
    from psycopg.conninfo import conninfo_to_dict

    from hartonomous.store import pg_url

    info = conninfo_to_dict(pg_url(settings))
    database = f"{info.get('host', 'local')}_{info.get('port', '5432')}_{info.get('dbname', '')}"
    return (settings.state_path / "projections" / _SAFE_NAME.sub("_", database) / _SAFE_NAME.sub("_", embedder)
            / f"v{version}.pkl")


@dataclass
class Projection:
    """A fitted reducer and the version it was published as."""

    reducer: Any
    version: int
    params: dict[str, Any]
    points: int

    @classmethod
    def fit(cls, vectors: Vectors, *, version: int, params: dict[str, Any] | None = None) -> Projection:
        """Fit UMAP on ``vectors`` (at least ``n_neighbors + 2`` of them)."""
        chosen = {**DEFAULT_PARAMS, **(params or {})}
        if len(vectors) < int(chosen["n_neighbors"]) + 2:
            raise ProjectionError(
                f"{len(vectors)} vectors are too few to fit a projection "
                f"(n_neighbors={chosen['n_neighbors']})"
            )
        import umap  # heavy import (numba): only where a projection is fitted or used

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reducer = umap.UMAP(**chosen).fit(np.asarray(vectors, dtype=np.float32))
        return cls(reducer, version, chosen, len(vectors))

    def transform(self, vectors: Vectors) -> Vectors:
        """3-D coordinates of new vectors (``(n, 3)`` float32)."""
        if len(vectors) == 0:
            return np.zeros((0, 3), dtype=np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = self.reducer.transform(np.asarray(vectors, dtype=np.float32))
        return np.asarray(out, dtype=np.float32)

    @property
    def embedding(self) -> Vectors:
        """The fitted coordinates of the training vectors, in fit order."""
        return np.asarray(self.reducer.embedding_, dtype=np.float32)

    def save(self, path: Path) -> None:
        """Persist atomically (write a temporary file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as fh:
            pickle.dump(
                {"reducer": self.reducer, "version": self.version, "params": self.params,
                 "points": self.points},
                fh,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Projection:
        """Load a projection this project persisted (the state directory is trusted)."""
        try:
            with path.open("rb") as fh:
                state = pickle.load(fh)  # noqa: S301 - our own file under the state directory
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            raise ProjectionError(f"cannot load projection {path}: {exc}") from exc
        return cls(state["reducer"], int(state["version"]), dict(state["params"]), int(state["points"]))
