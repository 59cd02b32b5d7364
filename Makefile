# Mehfooz: `make demo` and `make test` are the two commands of README.md; each
# installs what it needs first (scripts/deps.sh).
GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: deps demo test bench check fuzz boot-test qemu-run qemu-demo

deps: ## install Debian packages and Go modules the tests and demo need
	./scripts/deps.sh

demo: deps ## a secure call between two simulated handsets (today's best version)
	./scripts/demo.sh

test: deps ## every test, with the race detector, then the codec's libopus oracle
	$(GO) test -race -timeout 25m ./...
	$(GO) test -race -tags 'opusref nolibopusfile' -run Oracle ./voice/codec/...
	$(GO) test -count=1 -run 'Speech' ./voice/  # real-time speech through the call: too slow under -race
	$(MAKE) --no-print-directory boot-test

boot-test: deps ## boot the QEMU board's signed image under TCG, refuse a tampered one, and call between two (docs/image.md)
	./scripts/fetch-kernel.sh >/dev/null
	MEHFOOZ_BOOT_TEST=1 MEHFOOZ_QEMU_DEMO=1 $(GO) test -count=1 -timeout 15m -run '^Test(Boot|TwoHandsets$$)' ./image/qemu

qemu-run: deps ## boot one emulated handset with the modem simulator (scripts/qemu-run.sh)
	./scripts/qemu-run.sh

qemu-demo: deps ## two emulated handsets call each other by keypad through a host exchange; screens in out/qemu-demo
	./scripts/fetch-kernel.sh >/dev/null
	mkdir -p out/qemu-demo
	MEHFOOZ_BOOT_TEST=1 MEHFOOZ_QEMU_DEMO=1 MEHFOOZ_QEMU_DEMO_OUT=$(CURDIR)/out/qemu-demo \
		$(GO) test -count=1 -v -timeout 15m -run '^TestTwoHandsets$$' ./image/qemu

bench: deps ## the benchmark table of docs/bench.md
	./scripts/bench.sh

check: ## gofmt, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	./scripts/fuzz.sh $(FUZZTIME)
