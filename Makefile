# agentmux — quick start: `make demo`, then `make test`.
BUILD_DIR ?= build
JOBS ?= 2

.PHONY: all bootstrap build demo test unit bench clean

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

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -R '^(StateMachine|Specs|EditDistance|Claude|Store)'

# Side-by-side benchmarks (docs/benchmarks.md): `make bench`, or `make bench QUICK=1` for a smoke run.
bench: build
	@cd bench/node && { [ -d node_modules ] || npm ci --silent --no-audit --no-fund; }
	@bench/run $(if $(QUICK),--quick)

clean:
	rm -rf $(BUILD_DIR)
