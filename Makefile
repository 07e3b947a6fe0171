# juhtum: the commands a person types. `make help` lists them.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app admin_app
export FLASK_APP := admin_app

.PHONY: help run test lint serve bench bench-export db translations translations-update clean

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

clean: ## Remove the virtualenv and the local database
	rm -rf $(VENV) instance

bench-export: $(BIN)/activate translations ## Export benchmark: 100k clients, 1M deliveries; juhtum vs stock vs floor
	$(BIN)/python -m tests.bench.export_bench --clients $${CLIENTS:-100000} --deliveries $${DELIVERIES:-1000000}
