# juhtum: the commands a person types. `make help` lists them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
# gunicorn's rule of thumb: two workers per core plus one (requests mostly wait on the database).
# No control socket: it lives in $HOME, and two instances on one machine would share it.
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 + 1 )))
CLIENTS ?= 100000
DELIVERIES ?= 1000000
FLASK := $(BIN)/flask --app admin_app
export FLASK_APP := admin_app

.PHONY: help run test lint serve bench bench-export bench-import bench-lists bench-invoice bench-tricks db translations translations-update clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/activate: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "juhtum needs $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

translations: $(BIN)/activate ## Compile the Estonian and English catalogues
	@$(BIN)/pybabel compile --statistics -d admin_app/translations -D messages 2>&1 | grep -v '^$$' || true
	@$(BIN)/pybabel compile -d admin_app/translations -D flask_security >/dev/null
	@$(BIN)/pybabel compile -d admin_app/translations -D admin >/dev/null

# Where our own strings live; tests/admin_app/test_language.py extracts with the same arguments.
BABEL_EXTRACT := extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --sort-by-file --no-wrap --project juhtum

translations-update: $(BIN)/activate ## Re-extract messages.pot and merge new strings into et/messages.po
	$(BIN)/pybabel $(BABEL_EXTRACT) -o admin_app/translations/messages.pot admin_app models exports
	$(BIN)/pybabel update --no-wrap --ignore-obsolete -i admin_app/translations/messages.pot -d admin_app/translations -D messages -l et

db: $(BIN)/activate translations ## Migrate the database and load demo data when it is empty
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty

run: db ## Set up and serve on 127.0.0.1:$(PORT)
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

lint: $(BIN)/activate ## ruff check, format check and bandit (no medium or high findings)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r admin_app models exports config --severity-level medium

test: db lint ## Set up and run the whole suite (PostgreSQL too when TEST_DATABASE_URL is set)
	$(BIN)/pytest

bench: $(BIN)/activate translations ## Run the benchmarks and print figures (see also bench-export)
	$(BIN)/pytest tests/bench -s -q -o addopts="" -p no:cacheprovider

serve: $(BIN)/activate translations ## Migrate DATABASE_URL and serve it with gunicorn ($(WORKERS) workers) on $(HOST):$(PORT)
	@test -n "$$DATABASE_URL" || { echo "make serve needs DATABASE_URL (e.g. postgresql+psycopg://user@host/juhtum)"; exit 1; }
	$(FLASK) db upgrade
	JUHTUM_CONFIG=$${JUHTUM_CONFIG:-production} $(BIN)/gunicorn "admin_app:create_app()" \
		--bind $(HOST):$(PORT) --workers $(WORKERS) --timeout 120 --access-logfile - --no-control-socket

bench-lists: $(BIN)/activate translations ## List-view benchmark at $(CLIENTS) clients, $(DELIVERIES) deliveries (BENCH_DATABASE=URL for PostgreSQL)
	$(BIN)/python -m tests.bench.list_bench --clients $(CLIENTS) --deliveries $(DELIVERIES) \
		$(if $(BENCH_DATABASE),--database $(BENCH_DATABASE)) --explain

bench-invoice: $(BIN)/activate translations ## Invoice benchmark on bench-lists' data: first generation, regeneration, confirmation (BENCH_DATABASE=URL)
	$(BIN)/python -m tests.bench.invoice_bench $(if $(BENCH_DATABASE),--database $(BENCH_DATABASE)) --explain

bench-tricks: $(BIN)/activate translations ## What each list speed trick saves per page against Flask-Admin's own path (same data as bench-lists; BENCH_DATABASE=URL)
	$(BIN)/python -m tests.bench.tricks_bench --clients $(CLIENTS) --deliveries $(DELIVERIES) \
		$(if $(BENCH_DATABASE),--database $(BENCH_DATABASE))

clean: ## Remove the virtualenv and the local database
	rm -rf $(VENV) instance

bench-export: $(BIN)/activate translations ## Export benchmark: 100k clients, 1M deliveries; streamed and background-job export vs stock vs two floors
	$(BIN)/python -m tests.bench.export_bench --clients $${CLIENTS:-100000} --deliveries $${DELIVERIES:-1000000}

DJ_VENV := tests/bench/dj_import/.venv
bench-import: $(BIN)/activate translations ## Import benchmark: ROWS (100k) clients, preview, save, unchanged re-import, juhtum vs django-import-export, on SQLite and BENCH_DATABASE (PostgreSQL, emptied)
	@test -x $(DJ_VENV)/bin/python || { $(PYTHON) -m venv $(DJ_VENV) && $(DJ_VENV)/bin/pip install --quiet -r tests/bench/dj_import/requirements.txt; }
	$(BIN)/python -m tests.bench.import_bench --rows $${ROWS:-100000} --django $(DJ_VENV)/bin/python \
		--database sqlite $(if $(BENCH_DATABASE),--database $(BENCH_DATABASE))

.PHONY: worker
worker: $(BIN)/activate translations ## Run background jobs (large exports) from RQ at $$REDIS_URL
	$(FLASK) worker

.PHONY: load-test
load-test: $(BIN)/activate translations ## Load test: 50 workers, 60 s, two gunicorns on LOAD_DATABASE_URL (EMPTIED first): a calm run, then one with chaos (a worker killed, PostgreSQL restarted: needs root)
	@test -n "$(LOAD_DATABASE_URL)" || { echo "Set LOAD_DATABASE_URL to a PostgreSQL database the test may empty"; exit 1; }
	@figures=$$(mktemp); \
	$(BIN)/python -m tests.bench.load_test --database "$(LOAD_DATABASE_URL)" --save $$figures; calm=$$?; \
	$(BIN)/python -m tests.bench.load_test --database "$(LOAD_DATABASE_URL)" --chaos --compare $$figures; chaos=$$?; \
	rm -f $$figures; test $$calm -eq 0 && test $$chaos -eq 0
