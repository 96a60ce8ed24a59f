# Everything sets itself up: a fresh machine needs only Python 3.11+ and make.
# uv (pinned) is installed into .tools/, the project into .venv/ from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
# The project runs on the Python that runs make's $(PYTHON); uv never fetches an interpreter of its own.
export UV_PYTHON := $(shell command -v $(PYTHON))
export UV_PYTHON_DOWNLOADS := never
# Byte-code is compiled once at install: where PYTHONDONTWRITEBYTECODE is set (CI images, sandboxes) every process
# would otherwise compile its imports from source, about 1.4 s of CPU per simulator, sync or test subprocess.
export UV_COMPILE_BYTECODE := 1
COMPILE = $(BIN)/python -m compileall -q sluice flows tests benchmarks

.PHONY: test test-fast lint demo bench soak serve notebooks docs clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

## test: lint, then the whole suite (slow end-to-end tests included)
test: $(VENV)/.synced
	@$(COMPILE)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

## test-fast: the suite without the slow end-to-end tests
test-fast: $(VENV)/.synced
	@$(COMPILE)
	$(BIN)/pytest -q -m "not slow"

lint: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## demo: start the simulators, run a full sync, edit both sides, sync again, print what moved
demo: $(VENV)/.synced
	$(BIN)/python -m flows.demo

## bench: the benchmarks, each reported as a ratio to a baseline measured in the same run
bench: $(VENV)/.synced
	$(BIN)/python -m benchmarks

## soak: the fault campaign of issue #12, SCENARIOS seeded scenarios from SOAK_SEED over every flow (FLOW=name:
## one), JOBS worker processes, then its figures; FIGURES=file keeps them after every scenario, RESUME=file
## goes on with a stopped run's seeds
SCENARIOS ?= 50
SOAK_SEED ?= 1
JOBS ?= 1
FLOW ?=
FIGURES ?=
RESUME ?=
soak: $(VENV)/.synced
	@$(COMPILE)
	$(BIN)/python -m tests.soak --scenarios $(SCENARIOS) --seed $(SOAK_SEED) --jobs $(JOBS) $(if $(FLOW),--flow $(FLOW)) \
		$(if $(FIGURES),--json $(FIGURES)) $(if $(RESUME),--resume $(RESUME))

## docs: regenerate docs/dataflow.md from the pipes
docs: $(VENV)/.synced
	$(BIN)/sluice docs

## serve: a local Prefect server, the demo simulators and scheduled sync deployments
serve: $(VENV)/.synced
	$(BIN)/python -m flows.serve_local

## notebooks: JupyterLab on notebooks/
notebooks: $(VENV)/.synced
	$(UV) sync --frozen --quiet --group notebooks
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache
