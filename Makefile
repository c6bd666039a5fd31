# sanpi: the two commands (see README.md)
#   make demo   install everything, load the demo into SQLite and serve it on 127.0.0.1:8000
#   make test   install everything (PostgreSQL, Chromium included) and run the whole suite

VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin

.PHONY: demo test install install-python install-assets install-system lint serve pg-start pg-stop clean

# `sanpi demo` migrates, loads the demo city once, prints the logins and serves.
demo: install
	$(BIN)/sanpi demo

test: install install-system
	bash scripts/test.sh

install: install-python install-assets

install-python: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	  || { echo "sanpi needs Python 3.11 or newer ($(PYTHON) is older): make PYTHON=python3.11 …"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# npm ci, then the county shapes of 吕梁: one file of a package, checked by its sha256
# (scripts/vendor_geo.py). npm ci empties node_modules, so both run together.
install-assets: node_modules/.installed
node_modules/.installed: package.json package-lock.json scripts/vendor_geo.py
	npm ci --no-audit --no-fund --loglevel=error
	$(PYTHON) scripts/vendor_geo.py
	touch $@

install-system:
	bash scripts/install-system-deps.sh

lint: install-python
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

serve: install
	$(BIN)/sanpi serve

pg-start:
	bash scripts/pg.sh start
	@echo "DATABASE_URL=$$(bash scripts/pg.sh url)"

pg-stop:
	bash scripts/pg.sh stop

clean:
	-bash scripts/pg.sh stop
	rm -rf var/ $(VENV) node_modules
