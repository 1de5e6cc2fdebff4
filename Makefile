# webhook-mcp — `make run` starts the server, `make test` runs every test.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
BIN     := bin/webhook-mcp

.PHONY: build run stdio test test-short lint fmt bench-micro clean

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

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./webhook/ ./store/

clean:
	rm -rf bin data
