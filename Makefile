# The Return Interview Service. `make run` and `make test` are all a new machine needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench lock vendor clean browser-deps

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## run: set up, migrate, seed the demo's two years on first run, and serve on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/rhi db upgrade
	@test -f var/.demo-seeded || ($(BIN)/rhi demo seed && touch var/.demo-seeded)
	$(BIN)/rhi serve --host 127.0.0.1 --port 8000

## test: set up and run the whole suite (SQLite by default; set RHI_DATABASE_URL for PostgreSQL)
test: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

## lint: style, strict types, and the layers of the house (import-linter's contracts in pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy app
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.run

## lock: re-pin every dependency, with hashes, from pyproject.toml; then the service's own
## (no dev tools) for the Docker image, at the same versions
lock:
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --no-emit-index-url \
	  --no-emit-find-links --strip-extras --allow-unsafe -o requirements.lock pyproject.toml
	$(BIN)/pip-compile --quiet --generate-hashes --no-emit-index-url --no-emit-find-links \
	  --strip-extras --allow-unsafe -c requirements.lock -o requirements-runtime.lock pyproject.toml

## vendor: refresh the vendored GOV.UK Frontend, htmx and axe-core files in static/
vendor:
	bash scripts/vendor-assets.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
