# tamtam — the commands the README tells.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test test-sqlite test-postgres lint audit bench messages clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tamtam needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js and npm (apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(BIN)/tamtam run

test: setup
	bash scripts/test.sh

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src

# Known vulnerabilities in the installed packages (pip-audit); says so when the database is unreachable.
audit: setup
	$(BIN)/python scripts/audit.py

bench: setup
	$(BIN)/python bench/publish_burst.py

messages: setup
	cd src/tamtam && ../../$(BIN)/tamtam makemessages -l fr --no-location --ignore 'migrations/*'

clean:
	rm -rf $(VENV) node_modules var
