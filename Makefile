# agentmux — quick start: `make demo`, then `make test`.
BUILD_DIR ?= build
JOBS ?= 2

.PHONY: all bootstrap build demo test unit clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: bootstrap $(BUILD_DIR)/build.ninja
	@ninja -C $(BUILD_DIR) -j $(JOBS)

# The main job on real input: the genuine Claude Code CLI runs as an agentmux session.
demo: build
	@scripts/demo

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 600 -j 1

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -R '^(StateMachine|Specs|EditDistance|Claude|Store)'

clean:
	rm -rf $(BUILD_DIR)
