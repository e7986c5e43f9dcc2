"""``hartonomous model ...`` end to end on the real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hartonomous.cli.main import cli
from hartonomous.config import Settings
from hartonomous.formats import open_model
from hartonomous.models.testing import write_tiny_bert, write_tiny_gguf
from tests.integration.model_support import cleanup, model_settings, unique_name  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture()
def env(model_settings: Settings) -> dict[str, str]:
    """The environment that points the CLI at the test stack."""
    return {"HARTONOMOUS_PG_URL": model_settings.pg_url, "HARTONOMOUS_PROJECT_ROOT": str(model_settings.project_root)}


class TestModelCommands:
    """ingest, list, show, export and delete through the CLI."""

    def test_ingest_list_show_export_delete(self, env: dict[str, str], tmp_path: Path, cleanup: list[str]) -> None:
        """A folder goes in, shows up with its layers, comes out identical, and can be deleted."""
        runner = CliRunner()
        name = unique_name("cli")
        cleanup.append(name)
        folder = write_tiny_bert(tmp_path / "bert")
        ingested = runner.invoke(cli, ["model", "ingest", str(folder), "--name", name, "--json"], env=env)
        assert 0 == ingested.exit_code, ingested.output
        data = json.loads(ingested.output)
        assert (name, 39, 2, False) == (data["name"], data["tensor_count"], data["layer_count"], data["unchanged"])
        listed = runner.invoke(cli, ["model", "list"], env=env)
        assert name in listed.output
        shown = runner.invoke(cli, ["model", "show", name], env=env)
        assert 0 == shown.exit_code, shown.output
        assert "encoder.layer.1" in shown.output and "tokenizer.json" in shown.output
        out = tmp_path / "out"
        exported = runner.invoke(cli, ["model", "export", name, str(out)], env=env)
        assert 0 == exported.exit_code, exported.output
        with open_model(folder / "model.safetensors") as a, open_model(out / "model.safetensors") as b:
            assert {i.name: bytes(a.read_raw(i.name)) for i in a.tensors()} == {
                i.name: bytes(b.read_raw(i.name)) for i in b.tensors()}
        again = runner.invoke(cli, ["model", "export", name, str(out)], env=env)
        assert (1, True) == (again.exit_code, "--force" in again.output)
        deleted = runner.invoke(cli, ["model", "delete", name], env=env)
        assert 0 == deleted.exit_code, deleted.output
        assert name not in runner.invoke(cli, ["model", "list"], env=env).output

    def test_errors_are_one_line(self, env: dict[str, str], tmp_path: Path, cleanup: list[str]) -> None:
        """A bad file and an impossible export fail with a message, not a traceback."""
        runner = CliRunner()
        bad = tmp_path / "bad.safetensors"
        bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\": 1}")
        refused = runner.invoke(cli, ["model", "ingest", str(bad)], env=env)
        assert 1 == refused.exit_code and "Error:" in refused.output and "Traceback" not in refused.output
        name = unique_name("cli-gguf")
        cleanup.append(name)
        assert 0 == runner.invoke(cli, ["model", "ingest", str(write_tiny_gguf(tmp_path / "t.gguf")), "--name", name],
                                  env=env).exit_code
        folder = runner.invoke(cli, ["model", "export", name, str(tmp_path / "x")], env=env)
        assert (0, True) == (folder.exit_code, (tmp_path / "x" / "t.gguf").is_file())  # GGUF stays GGUF
        quantized = runner.invoke(cli, ["model", "export", name, str(tmp_path / "y.safetensors")], env=env)
        assert 1 == quantized.exit_code and "--dequantize" in quantized.output
        clash = runner.invoke(cli, ["model", "export", name, str(tmp_path / "z.gguf"), "--format", "safetensors"], env=env)
        assert 1 == clash.exit_code and "names a .gguf file" in clash.output
