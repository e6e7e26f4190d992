# konnect — the two set-up commands are `make run` and `make test`.
PREFIX ?= /usr/local
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CONFIG ?= examples/konnectd.toml

.PHONY: all deps build run test test-asan fuzz soak bench package package-check unit integration install clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Starts konnectd in the foreground on the bundled example (socket and logs under ./run/).
run: build
	@scripts/run-example.sh $(CONFIG)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure

# The whole suite again under ASan + UBSan (build-asan/). A report anywhere, also in a
# konnectd or konnectctl that a test started, fails the run: each writes its report to
# build-asan/sanitizer/ and a non-empty folder is an error.
ASAN_DIR ?= build-asan
test-asan: deps
	cmake -S . -B $(ASAN_DIR) -DKONNECT_SANITIZE=ON -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	rm -rf $(ASAN_DIR)/sanitizer && mkdir -p $(ASAN_DIR)/sanitizer
	cd $(ASAN_DIR) && \
	  ASAN_OPTIONS=log_path=$(CURDIR)/$(ASAN_DIR)/sanitizer/asan:detect_leaks=1 \
	  UBSAN_OPTIONS=log_path=$(CURDIR)/$(ASAN_DIR)/sanitizer/ubsan:print_stacktrace=1 \
	  ctest --output-on-failure
	@if [ -n "$$(ls -A $(ASAN_DIR)/sanitizer)" ]; then \
	  echo "sanitizer reports:"; cat $(ASAN_DIR)/sanitizer/*; exit 1; fi
	@echo "test-asan: no sanitizer reports"

# libFuzzer on the request parser, the TOML loader, the supervisord INI loader, the sd_notify
# parser, the reexec state reader, the XML-RPC parser, the HTTP request parser and the event
# listener reader, each for FUZZ_SECONDS (clang from Debian; build-fuzz/), as many at a time
# as there are cores. Prints each target's run count; a crash leaves its input in
# build-fuzz/ and fails. A fixed seed by default: the same run each time.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_SEED ?= 1  # 0: a new seed each run
fuzz:
	@scripts/install-deps.sh clang libclang-rt-14-dev
	cmake -S . -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++ -DKONNECT_FUZZ=ON
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target request_fuzz toml_fuzz ini_fuzz notify_fuzz state_fuzz xmlrpc_fuzz http_fuzz listener_fuzz
	@scripts/run-fuzzers.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_SEED)

# 200 crash-looping programs and a status hammer for SOAK_SECONDS (600): konnectd's fds and
# RSS must stay flat and every answer consistent (tests/soak/soak.py). Not in CI.
SOAK_SECONDS ?= 600
soak: build
	tests/soak/soak.py --seconds $(SOAK_SECONDS)

# konnectd, Debian's supervisord and runit side by side on the same workloads, same run
# (bench/bench.py; docs/benchmarks.md has the last figures). Not in CI: timing is never a test.
BENCH_RUNS ?= 3
bench: build
	@scripts/install-deps.sh supervisor runit wrk
	bench/bench.py --runs $(BENCH_RUNS)
	bench/bench.py --runs 1 --scaling
	bench/logs.py --runs $(BENCH_RUNS)
	bench/restart_load.py --runs $(BENCH_RUNS)
	bench/reexec.py --runs 5
	bench/supervisor_rpc.py --runs 5
	bench/metrics.py --runs 3
	bench/console.py --runs $(BENCH_RUNS)

# A .deb for /usr (CPack, build-pkg/): binaries, unit, man pages, completion, logrotate
# snippet, /etc/konnect with the Kano-Konnect examples. package-check installs it on this
# machine, checks it and removes it again.
PKG_DIR ?= build-pkg
package:
	@scripts/install-deps.sh dpkg-dev go-md2man
	cmake -S . -B $(PKG_DIR) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DKONNECT_TESTS=OFF
	cmake --build $(PKG_DIR) -j $(JOBS)
	cd $(PKG_DIR) && cpack -G DEB
package-check: package
	@scripts/check-package.sh $(PKG_DIR)/konnect_*.deb

unit: build
	for t in common daemon ctl; do $(BUILD_DIR)/bin/$${t}_tests || exit 1; done

integration: build
	$(BUILD_DIR)/bin/integration_tests

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR) run
