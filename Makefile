# Sổ Đoàn — every set-up step lives here, not in anyone's shell history.
# `make help` lists the targets.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
FLASK  := $(BIN)/flask --app server

.DEFAULT_GOAL := help
.PHONY: help install pwa browser nginx run db demo test test-pg lint format clean \
        node-installed browser-installed nginx-installed

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

# The stamps live inside what they describe and are named by the content of the file they
# follow, not its time: a checkout, a copy or a cache restore can leave any file time, and a
# removed .venv or node_modules takes its stamp with it (CI once kept a stamp newer than a
# pyproject.toml that had gained Pillow and moto, and skipped the install).
VENV_STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-16)
NPM_STAMP  := node_modules/.installed-$(shell sha256sum package-lock.json | cut -c1-16)

$(VENV_STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	rm -f $(VENV)/.installed-*
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV_STAMP) pwa ## Create .venv, install the app with its test tools, build the field app

# The field app is bundled by esbuild (package.json, its version pinned in the lockfile)
# into build/pwa/, which the server serves (server/pwa.py). Node and npm from Debian, as
# Chromium: root on a fresh machine.
node-installed:
	command -v npm >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)

$(NPM_STAMP): | node-installed
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Every time (it takes a fraction of a second): a build older than pwa/ is never served.
pwa: $(NPM_STAMP) ## Build the field app (pwa/ -> build/pwa/)
	npm run --silent build

# Browser tests drive Debian's Chromium (a test tool's own browser download cannot work
# here). Installing it needs root, as on the CI machine and the developers' machines.
browser-installed:
	command -v chromium >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

browser: browser-installed ## Install Debian's Chromium for the browser tests

# The documented deployment puts Debian's nginx in front of gunicorn (deploy/); the suite
# starts one of its own on free ports (tests/deploy). Root, as for Chromium. On a machine
# with systemd, Debian also starts its default site on port 80: the tests do not use it.
nginx-installed:
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx)

nginx: nginx-installed ## Install Debian's nginx for the deployment tests

db: install ## Migrate the database (DATABASE_URL, default SQLite under instance/)
	$(FLASK) db upgrade
	$(FLASK) seed-catalogue

demo: db ## Load the Cao Bằng demo data if the database is empty
	$(FLASK) seed-demo --if-empty

# The Procfile's web and worker processes, together: the totals worker in the background
# (stopped with the server however it ends), gunicorn in the foreground.
run: demo ## Set up, migrate, seed demo data, serve on http://127.0.0.1:5000 (gunicorn + totals worker)
	@$(FLASK) totals-worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	GUNICORN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c deploy/gunicorn.conf.py 'server:create_app()'

test: install browser nginx lint ## Install what the tests need and run the whole suite (SQLite)
	$(BIN)/pytest

test-pg: ## The whole suite again on PostgreSQL ($(PG_URL)), starting it if needed
	@pg_isready -q -h 127.0.0.1 -p 5432 || \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	TEST_DATABASE_URL=$(PG_URL) $(MAKE) --no-print-directory test

.PHONY: bench bench-reports
bench: install ## Sync benchmark over real HTTP on SQLite and PostgreSQL (BENCH_ARGS=--quick)
	$(BIN)/python bench/sync_bench.py $(BENCH_ARGS)

bench-reports: install ## Report benchmark: 1,000,000 activities on PostgreSQL and SQLite (BENCH_ARGS=--activities 100000)
	$(BIN)/python bench/report_bench.py $(BENCH_ARGS)

.PHONY: bench-load bench-slowlink
bench-load: install ## 200 devices syncing for 2 min against gunicorn + PostgreSQL (BENCH_ARGS=--quick)
	$(BIN)/python bench/load_bench.py $(BENCH_ARGS)

bench-slowlink: install nginx ## 20 phones at 50 kbit/s pushing 200-entry backlogs through nginx while 20 sync (BENCH_ARGS=--quick)
	$(BIN)/python bench/slowlink_bench.py $(BENCH_ARGS)

.PHONY: replica-demo
replica-demo: install ## As root: a PostgreSQL primary and streaming standby of its own, reports served from the standby (not CI)
	$(BIN)/python bench/replica_demo.py $(BENCH_ARGS)

.PHONY: bench-pwa
bench-pwa: install browser ## Field app in Chromium: first-visit bytes, repeat visit, 2G start-up, 500-entry push (BENCH_ARGS=--quick)
	$(BIN)/python bench/pwa_bench.py $(BENCH_ARGS)

# The catalogues (README, "Languages"): Vietnamese message ids in the code, one .po per
# language. The app compiles a .po newer than its .mo when it starts (decision 182);
# `make translations` does the same by hand.
BABEL := $(BIN)/pybabel
POT   := server/translations/messages.pot
.PHONY: messages translations
messages: install ## Extract the strings into messages.pot and update both .po files
	$(BABEL) extract -F babel.cfg -k _l -k lazy_gettext --add-location=file \
	  --sort-by-file --no-wrap --project="So Doan" -o $(POT) .
	$(BABEL) update -i $(POT) -d server/translations --no-wrap

translations: install ## Compile the .po files into .mo (the app also does it at start)
	$(BABEL) compile --statistics -d server/translations
.PHONY: bench-photos
bench-photos: install browser ## Field app: 20 photos uploaded on emulated 2G with one forced disconnect (BENCH_ARGS=--quick)
	$(BIN)/python bench/photo_bench.py $(BENCH_ARGS)

lint: install ## ruff: lint and formatting check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check server sync schemas tests bench

format: install ## ruff: fix what it can and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format server sync schemas tests bench

clean: ## Remove the virtualenv and caches (keeps instance/ and its data)
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules build/pwa
