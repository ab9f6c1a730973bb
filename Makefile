# agentmux — quick start: `make demo`, then `make test`.
BUILD_DIR ?= build
JOBS ?= 2
# The checking build: clang, ASan + UBSan, libFuzzer targets (fuzz/); only the core library,
# unit_tests and the fuzz targets are built there.
CHECK_DIR ?= build-check
CHECK_JOBS ?= $(JOBS)
FUZZ_SECONDS ?= 600
CHECK_FUZZ_SECONDS ?= 20
# Fuzz targets run at once (each takes one core).
FUZZ_JOBS ?= 1
SANITIZER_ENV := UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1

.PHONY: all bootstrap build demo test unit bench clean check check-build fuzz

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: bootstrap $(BUILD_DIR)/build.ninja web/dist/index.html
	@ninja -C $(BUILD_DIR) -j $(JOBS)

# The web UI, served by the daemon at / (rebuilt when its sources change).
WEB_SOURCES := $(shell find web/src web/index.html web/vite.config.ts web/tsconfig.json web/package-lock.json -type f 2>/dev/null)
web/dist/index.html: $(WEB_SOURCES)
	@cd web && npm run --silent build >/dev/null

# The main job on real input: the genuine Claude Code CLI runs as an agentmux session.
demo: build
	@scripts/demo

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j 1
	@$(MAKE) --no-print-directory check

# Every C++ unit and process test and the layer check (no daemon, no browser).
unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j 1 -E '^(integration|web_unit|web_e2e)$$'

# Side-by-side benchmarks (docs/benchmarks.md): `make bench`, or `make bench QUICK=1` for a smoke run.
bench: build
	@cd bench/node && { [ -d node_modules ] || npm ci --silent --no-audit --no-fund; }
	@bench/run $(if $(QUICK),--quick)

$(CHECK_DIR)/build.ninja: CMakeLists.txt
	@CC=clang CXX=clang++ cmake -S . -B $(CHECK_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DAGENTMUX_SANITIZE=ON -DAGENTMUX_FUZZ=ON >/dev/null

check-build: bootstrap $(CHECK_DIR)/build.ninja
	@nice -n 10 ninja -C $(CHECK_DIR) -j $(CHECK_JOBS)

# unit_tests under ASan + UBSan (any report fails it), then every fuzz target for
# CHECK_FUZZ_SECONDS (the short run of CI; `make test` ends with this).
check: check-build
	@echo "check: unit_tests under ASan + UBSan ($(CHECK_DIR))"
	@cd $(CHECK_DIR) && $(SANITIZER_ENV) ./unit_tests --gtest_brief=1 >unit_tests.log 2>&1 \
	  || { tail -n 80 unit_tests.log; echo "check: unit_tests failed (full log: $(CHECK_DIR)/unit_tests.log)"; exit 1; }
	@echo "check: fuzz targets, $(CHECK_FUZZ_SECONDS) s each"
	@FUZZ_JOBS=$(FUZZ_JOBS) fuzz/run $(CHECK_DIR) $(CHECK_FUZZ_SECONDS)

# Every fuzz target for FUZZ_SECONDS (default 600) with its seeds and its persistent corpus in
# $(CHECK_DIR)/fuzz-corpus/<target>; `make fuzz FUZZ_SECONDS=3600 FUZZ_JOBS=2`. See fuzz/README.md.
fuzz: check-build
	@FUZZ_JOBS=$(FUZZ_JOBS) fuzz/run $(CHECK_DIR) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD_DIR) $(CHECK_DIR)
