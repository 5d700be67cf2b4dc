# kfdash: the two commands a newcomer needs are `make demo` and `make test`.
# Everything else here is what they are made of. Build dirs: build/ (plain), build-asan/
# (AddressSanitizer + UndefinedBehaviorSanitizer), build-release/ (for benchmarks), build-fuzz/
# (clang, libFuzzer targets over the parsers: make fuzz).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

APT_PACKAGES := meson ninja-build pkg-config gcc git python3-venv \
	libmicrohttpd-dev libjwt-dev libcjson-dev libcurl4-openssl-dev libsqlite3-dev \
	libmbedtls-dev libyaml-dev libcrypt-dev check chromium wrk nginx-light curl clang-format \
	openssl util-linux jq dpkg-dev debootstrap lintian clang libclang-rt-14-dev
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts \
	web/vite.lib.config.ts web/tsconfig.json web/package-lock.json
DEMO_CONFIG ?= packaging/dev/kfdash.json
# make fuzz: seconds per fuzz target (make test runs each for 5 s)
FUZZ_SECONDS ?= 60

.PHONY: deps apt-deps npm-deps py-deps web build build-asan build-release build-fuzz test \
	test-plain test-asan test-fuzz fuzz demo bench soak check-readme lint stack-up stack-down clean help

help:
	@echo "make demo   install what is missing, build, serve the dashboard on http://127.0.0.1:8080"
	@echo "make test   install what is missing, build, run every test suite, plain and sanitized"
	@echo "make bench  benchmark kfdash against nginx and oauth2-proxy on this machine"
	@echo "make soak   mixed traffic against the local stack for SOAK_DURATION s (1800): fails on growth"
	@echo "make fuzz   fuzz every parser of outside bytes for FUZZ_SECONDS each (default 60)"
	@echo "make build  build/kfdash only"
	@echo "make stack-up / stack-down   the local stack of real peers alone"

## deps: install only what is missing
deps: apt-deps npm-deps py-deps

apt-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing Debian packages: $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@command -v go >/dev/null || { echo "deps: Go 1.26 is needed to build the stack's peers" >&2; exit 1; }
	@command -v java >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq openjdk-17-jre-headless; }

npm-deps: web/node_modules/.package-lock.json

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	@echo "deps: npm ci (web/)"
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

py-deps:
	@tools/venv.sh tests/requirements.txt >/dev/null

## web: the single-page app, embedded into the binary at build time
web: web/dist/index.html

web/dist/index.html: $(WEB_SOURCES) web/node_modules/.package-lock.json
	@echo "web: building the single-page app"
	cd web && npm run --silent build
	@touch $@

## build: build/kfdash
build: web
	@[ -f build/build.ninja ] || meson setup build --buildtype=debugoptimized
	ninja -C build

build-asan: web
	@[ -f build-asan/build.ninja ] || meson setup build-asan --buildtype=debug \
		-Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan

# clang only (libFuzzer): the libraries get coverage hooks, ASan and UBSan (meson -Dfuzz=true).
build-fuzz: web
	@[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz --buildtype=debugoptimized \
		-Dfuzz=true -Dtests=false
	ninja -C build-fuzz

build-release: web
	@[ -f build-release/build.ninja ] || meson setup build-release --buildtype=release -Dtests=false
	ninja -C build-release

## test: every suite (unit, integration, e2e) against the plain and the sanitized build, and
## the fuzz targets (reproducers and a short run each, build-fuzz)
test: deps build build-asan build-fuzz
	@status=0; \
	$(MAKE) --no-print-directory test-plain || status=1; \
	$(MAKE) --no-print-directory test-asan || status=1; \
	$(MAKE) --no-print-directory test-fuzz || status=1; \
	$(MAKE) --no-print-directory check-readme || status=1; \
	$(MAKE) --no-print-directory lint || status=1; \
	tools/test-summary.sh build build-asan build-fuzz; \
	exit $$status

test-plain:
	@echo "== tests: plain build"
	meson test -C build --print-errorlogs --num-processes 2

test-asan:
	@echo "== tests: ASan + UBSan build"
	meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3

## test-fuzz: each fuzz target replays its reproducers, then fuzzes for 5 s (suite fuzz)
test-fuzz:
	@echo "== tests: fuzz targets, 5 s each"
	meson test -C build-fuzz --suite fuzz --print-errorlogs --num-processes 2

## fuzz: each fuzz target for FUZZ_SECONDS against a scratch copy of its corpus, then a table
fuzz: build-fuzz
	tools/fuzz.sh build-fuzz $(FUZZ_SECONDS)

## The README's config reference must be what the binary says.
check-readme: build
	@tools/check-readme.sh build/kfdash README.md
	@tools/check-docs.sh docs/gke.md

## lint: the C follows .clang-format; the web app type-checks
lint: npm-deps
	clang-format --dry-run -Werror lib/*.[ch] server/*.[ch] server/*/*.[ch] auth/*.[ch] k8s/*.[ch] tests/unit/*.[ch] \
		tests/fuzz/*.[ch]
	cd web && npm run --silent typecheck
	@echo "lint: clean"

## stack: the real peers (Kubernetes, Dex, MLflow, Jupyter, a model server, Spark) on loopback
stack-up: deps
	tests/stack/stack.sh up

stack-down:
	tests/stack/stack.sh down

## demo: the stack, then the dashboard on http://127.0.0.1:8080 (Ctrl-C stops everything)
demo: deps build
	exec tools/demo.sh $(DEMO_CONFIG)

## bench: kfdash vs nginx (static answers), vs oauth2-proxy (the authorizer), with 1,000 profiles (caches, /api/k8s vs the apiserver), and applications on hosts of their own (the hand-over, the proxied path), figures printed
bench: deps build-release
	tests/bench/run.sh build-release/kfdash
	tests/bench/authz.sh build-release/kfdash
	tests/bench/profiles.sh build-release/kfdash
	tests/bench/notebooks.sh build-release/kfdash
	tests/bench/mlflow.sh build-release/kfdash
	tests/bench/predict.sh build-release/kfdash
	tests/bench/apps.sh build-release/kfdash
	tests/bench/tls.sh build-release/kfdash
	tests/bench/home.sh build-release/kfdash

## soak: mixed traffic (sign-ins, API reads and writes, watches, notebooks, MLflow, predictions, WebSockets) against the stack for SOAK_DURATION s (1800), sampled every SOAK_INTERVAL s; fails on growth that does not level off
soak: deps build-release
	tests/soak/run.sh build-release/kfdash

## deb: build-deb/kfdash_<version>_<arch>.deb from a release build (packaging/deb/build.sh)
.PHONY: deb
deb: web
	packaging/deb/build.sh build-deb

clean:
	rm -rf build build-asan build-release build-fuzz web/dist
