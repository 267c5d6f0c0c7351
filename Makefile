# Treaty — developer and CI entry points.
#
#   make setup     install pinned Pact tooling into .tools/ (npm pack) and, as root, Debian's
#                  chromium for the browser tests (apt-get); a no-op when done
#   make build     build bin/treaty
#   make run       build and serve on 127.0.0.1:9292 (extra flags: make run ARGS=--no-demo)
#   make demo      play the seed's story against the running broker (make run's, or PACT_BROKER_BASE_URL)
#   make test      go vet + go test -race (set TREATY_TEST_POSTGRES_DSN to include PostgreSQL)
#   make bench     run benchmarks
#   make lint      gofmt + go vet
#   make postgres  start a throwaway PostgreSQL and print its DSN
#   make clean     remove bin/ and local databases

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

# Absolute path of the directory holding this Makefile (works with make -C / -f).
ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
TOOLS_DIR := $(ROOT)/.tools
TOOLS_LIB := $(TOOLS_DIR)/lib

GO ?= go
ARGS ?=

# cgo: pact-go links libpact_ffi from .tools/lib (found at run time via rpath).
export CGO_ENABLED := 1
export CGO_LDFLAGS := -L$(TOOLS_LIB) -Wl,-rpath,$(TOOLS_LIB) $(CGO_LDFLAGS)
export LD_LIBRARY_PATH := $(TOOLS_LIB)$(if $(LD_LIBRARY_PATH),:$(LD_LIBRARY_PATH))
# pact-go's installer looks here instead of /usr/local/lib (and so never downloads).
export PACT_GO_LIB_DOWNLOAD_PATH := $(TOOLS_LIB)
# Official Pact CLI used by interoperability tests.
export PACT_CLI := $(TOOLS_DIR)/bin/pact
export PACT_DO_NOT_TRACK := true

# $(call go_pkgs,CMD): echo and run CMD in the repo root, or skip it while the
# module has no Go packages yet (go vet/test ./... fail on an empty match).
define go_pkgs
cd $(ROOT); if [[ -z "$$($(GO) list -e ./... 2>/dev/null)" ]]; then \
  echo "no Go packages yet; skipping $(firstword $(1)) $(word 2,$(1))"; \
  else set -x; $(1); fi
endef

.PHONY: setup build run demo test bench lint clean postgres postgres-stop

setup:
	@$(ROOT)/.ci/install-tools.sh

build: setup
	cd $(ROOT) && $(GO) build -o bin/treaty ./cmd/treaty

run: build
	cd $(ROOT) && ./bin/treaty serve --listen 127.0.0.1:9292 --database treaty.db $(ARGS)

# Built rather than `go run`, whose own "exit status N" line would trail the demo's message.
demo: setup
	cd $(ROOT) && $(GO) build -o bin/treaty-demo ./examples/demo && ./bin/treaty-demo $(ARGS)

test: setup
	@$(call go_pkgs,$(GO) vet ./...)
	@$(call go_pkgs,.ci/go-test.sh -race -count=1 -timeout 12m ./...)

bench: setup
	@$(ROOT)/.ci/bench.sh

lint:
	@cd $(ROOT); \
	files=$$( { git ls-files --cached --others --exclude-standard -- '*.go' 2>/dev/null \
	            || find . -name '*.go' -not -path './.*'; } | sort -u | while read -r f; do [[ -f $$f ]] && echo "$$f"; done || true); \
	if [[ -n $$files ]]; then \
	  unformatted=$$(gofmt -l $$files); \
	  if [[ -n $$unformatted ]]; then \
	    echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$unformatted"; exit 1; \
	  fi; \
	fi; \
	echo "gofmt: ok"
	@$(call go_pkgs,$(GO) vet ./...)

clean:
	cd $(ROOT) && rm -rf bin/ && rm -f treaty.db*

postgres:
	@dsn=$$($(ROOT)/.ci/postgres.sh start); \
	echo "$$dsn"; \
	echo "# export TREATY_TEST_POSTGRES_DSN='$$dsn'   (stop with: make postgres-stop)" >&2

postgres-stop:
	@$(ROOT)/.ci/postgres.sh stop
