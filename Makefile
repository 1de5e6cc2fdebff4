# webhook-mcp — `make run` starts the server, `make test` runs every test.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/webhook-mcp

.PHONY: build run stdio test test-short lint deadcode fmt docs bench bench-pg bench-profile bench-micro clean fuzz conformance inspector-check node-tools \
	mcpb mcpb-validate walkthrough

# Linters, pinned: installed with go install on first use into bin/tools/<version>/.
STATICCHECK_VERSION := v0.8.2
DEADCODE_VERSION    := v0.52.0
STATICCHECK := bin/tools/staticcheck-$(STATICCHECK_VERSION)/staticcheck
DEADCODE    := bin/tools/deadcode-$(DEADCODE_VERSION)/deadcode

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/webhook-mcp

run: build
	./$(BIN) serve

stdio: build
	./$(BIN) stdio

test:
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -short -count=1 ./...

lint: $(STATICCHECK)
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(STATICCHECK) ./...

# Functions no program reaches (tests excluded): review the list, it does not fail.
deadcode: $(DEADCODE)
	$(DEADCODE) ./...

$(STATICCHECK):
	GOBIN=$(CURDIR)/$(@D) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(DEADCODE):
	GOBIN=$(CURDIR)/$(@D) $(GO) install golang.org/x/tools/cmd/deadcode@$(DEADCODE_VERSION)

fmt:
	gofmt -w $$(git ls-files '*.go')

# Regenerate the generated blocks of the docs: the configuration tables of
# README.md and docs/configuration.md from the struct tags in server/config.go,
# the code table of docs/error-handling.md from api/codes.go (tests fail while
# a committed block differs).
docs:
	$(GO) test -count=1 ./cmd/webhook-mcp -run '^TestDocsAreGenerated$$' -update
	$(GO) test -count=1 ./api -run '^TestDocsTable$$' -update

# Load benchmark (docs/performance.md): webhook-mcp against bare baselines on
# loopback, under 3 minutes; prints the table, writes bench/results/<date>.json.
bench: build
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/bench ./bench
	./bin/bench run -bin $(BIN)

# make bench with its PostgreSQL rows (one replica, two on one database, each
# with its ratio to SQLite) on a throwaway PostgreSQL (scripts/pg.sh); adds
# about 25 s. `make bench` with TEST_DATABASE_URL set runs them too.
bench-pg:
	./scripts/pg.sh $(MAKE) bench

# CPU profile of the webhook path under closed-loop load (top entries printed).
bench-profile:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/bench ./bench
	./bin/bench profile -payload clickup -cpuprofile bin/cpu-webhook-clickup.pprof

# Fuzz targets, each for FUZZTIME (go test -fuzz runs one target at a time).
# New inputs are minimized for at most FUZZMINIMIZETIME (go's default, 60s,
# can take a whole run on 2 busy cores).
FUZZTIME    ?= 60s
FUZZMINIMIZETIME ?= 5s
FUZZTARGETS := ./webhook:FuzzDecodePayload ./webhook:FuzzSignatureHeaders ./graph:FuzzExtract
fuzz:
	@set -e; for t in $(FUZZTARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; done

# Official MCP conformance suite (server scenarios, Streamable HTTP) and the MCP
# Inspector CLI over stdio and /mcp; both install Node 22 and their npm
# packages into .tools/ on first use (scripts/node-tools.sh pins the versions).
conformance: build
	./scripts/conformance.sh

inspector-check: build
	./scripts/inspector-check.sh

# Node 22 with the MCP test tools, mermaid and jsdom in .tools/: the Go test of
# the Mermaid output (graph/mermaid_test.go) parses it with mermaid when they are
# there, and fails without them under CI=true.
node-tools:
	bash -c '. scripts/node-tools.sh'

# Claude Desktop bundles and the MCP Registry entry (docs/distribution.md):
# dist/webhook-mcp-<os>-<arch>.mcpb for PLATFORMS (default: linux/amd64
# linux/arm64 darwin/arm64 darwin/amd64 windows/amd64), dist/SHA256SUMS and
# dist/server.json, validated against testdata/mcp-registry/server.schema.json.
PLATFORMS ?=
mcpb:
	$(GO) run ./internal/bundle/mkbundle -version $(VERSION) -out dist -platforms "$(PLATFORMS)"

# `mcpb unpack` and `mcpb validate` (npm @anthropic-ai/mcpb, pinned in
# scripts/node-tools.sh) on every dist/*.mcpb.
mcpb-validate:
	./scripts/mcpb-validate.sh

# The README's walkthrough blocks (<!-- walkthrough -->), top to bottom, in one
# bash against a fresh server (cmd/webhook-mcp/walkthrough_test.go; make test
# runs it too). Needs bash, curl and jq.
walkthrough:
	$(GO) test -count=1 -run 'TestREADMEWalkthrough|TestWalkthrough' ./cmd/webhook-mcp

bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./webhook/ ./graph/ ./store/ ./live/

clean:
	rm -rf bin data dist
