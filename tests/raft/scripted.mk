# The scripted scenarios (tests/raft/scripted.cpp): a suite of raft_tests
# that the lab's runs leave out. `make scripted` runs it over SEEDS (in
# simulation each seed replays exactly); MODE=real runs it once per seed in
# real time. make test runs scripted-smoke: two seeds in simulation, one
# run in real time.
SEEDS ?= 1 2 3 4 5

.PHONY: scripted scripted-smoke
scripted: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/$(MODE)/raft_tests
	@for s in $(SEEDS); do \
	  LAB_SEED=$$s $(BUILD)/$(MODE)/raft_tests --run_test=scripted --report_level=no || exit 1; \
	done

scripted-smoke:
	@$(MAKE) --no-print-directory scripted MODE=sim SEEDS="1 2"
	@$(MAKE) --no-print-directory scripted MODE=real SEEDS=1
