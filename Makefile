# konnect — the two set-up commands are `make run` and `make test`.
PREFIX ?= /usr/local
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CONFIG ?= examples/konnectd.toml

.PHONY: all deps build run test unit integration install clean

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

unit: build
	for t in common daemon ctl; do $(BUILD_DIR)/bin/$${t}_tests || exit 1; done

integration: build
	$(BUILD_DIR)/bin/integration_tests

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD_DIR) run
