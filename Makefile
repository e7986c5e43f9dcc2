# The two commands of the README:
#   make demo   — install, start the local stack, run the main job end to end
#   make test   — install, start the local stack, run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
H := $(VENV)/bin/hartonomous

.PHONY: setup up down status demo test unit typecheck bench

setup:
	bash infra/setup.sh

up: setup
	$(H) stack up

down:
	$(H) stack down

status:
	$(H) stack status

demo: up
	$(H) demo

test: up
	$(PY) -m pytest -q

typecheck: setup
	$(PY) -m mypy hartonomous

unit: setup
	$(PY) -m pytest -q tests/unit

bench: up
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
