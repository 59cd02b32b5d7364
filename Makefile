# Mehfooz: `make demo` and `make test` are the two commands of README.md; each
# installs what it needs first (scripts/deps.sh).
GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: deps demo test bench check fuzz

deps: ## install Debian packages and Go modules the tests and demo need
	./scripts/deps.sh

demo: deps ## a secure call between two simulated handsets (today's best version)
	./scripts/demo.sh

test: deps ## every test, with the race detector, then the codec's libopus oracle
	$(GO) test -race -timeout 25m ./...
	$(GO) test -race -tags 'opusref nolibopusfile' -run Oracle ./voice/codec/...

bench: deps ## the benchmark table of docs/bench.md
	./scripts/bench.sh

check: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	./scripts/fuzz.sh $(FUZZTIME)
