# modeltender: `make run` starts everything on embedded defaults; `make test`
# installs what the tests need and runs every check and test.

GO            ?= go
BIN           := $(CURDIR)/bin
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
TEST_TIMEOUT  ?= 20m

.PHONY: run build test deps lint unit scaleout bench clean web-assets test-deps

run: deps build
	$(BIN)/modeltender dev --demo

# Two binaries: modeltender (what production runs) and modeltender-dev (the
# dev stack with its embedded Temporal server, which `modeltender dev` and
# `make run` hand over to).
build:
	$(GO) build -o $(BIN)/modeltender ./cmd/modeltender
	$(GO) build -o $(BIN)/modeltender-dev ./cmd/modeltender-dev

# deps makes sure the PostgreSQL server binaries are installed (apt-get as
# root, otherwise a message that says what to install).
deps:
	@scripts/ensure-deps.sh postgres

test: deps test-deps lint unit scaleout

# The browser tests (internal/e2e) drive Debian's Chromium.
test-deps:
	@scripts/ensure-deps.sh chromium

lint: $(BIN)/staticcheck $(BIN)/workflowcheck
	@echo "== gofmt"; out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	@echo "== go vet"; $(GO) vet ./...
	@echo "== staticcheck"; $(BIN)/staticcheck ./...
	@echo "== workflowcheck"; $(BIN)/workflowcheck ./workflows/...

unit:
	@echo "== go test"; $(GO) test -timeout $(TEST_TIMEOUT) ./...

# scaleout runs the production shape as separate OS processes: Temporal on
# PostgreSQL with 4 history shards (a helper process), migrate, one serve and
# two workers; 20 candidates are evaluated and approved while one worker is
# killed with SIGKILL, and every side effect is checked to happen once
# (bench/README.md, "Scale-out").
scaleout:
	@echo "== scale-out"; $(GO) run ./bench/scaleout -n 20

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./policies/... ./activities/... ./internal/manifest/...

$(BIN)/staticcheck:
	GOBIN=$(BIN) GOFLAGS= $(GO) install $(STATICCHECK)

$(BIN)/workflowcheck:
	GOBIN=$(BIN) GOFLAGS= $(GO) install $(WORKFLOWCHECK)

# web-assets re-vendors USWDS, htmx and axe-core (pinned versions and hashes
# in the script); the results are committed, so only maintainers run it.
web-assets:
	scripts/vendor-web-assets.sh

clean:
	rm -rf $(BIN)
