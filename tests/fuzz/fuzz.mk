# The fault fuzzer (tests/raft/fuzz.cpp), for the top-level Makefile to
# include. Simulation only: a failing seed is shrunk by replaying it.
#
#   make fuzz                    seeds 1..200 against the tree's Raft
#   make fuzz N=5000 FIRST=1000  other seeds
#   make fuzz MUTANT=<name>      against a mutant of tests/mutants/ (built first)
#   make fuzz IMPL=<name>        against tests/impls/<name>/
#   make fuzz-smoke              make test's part: the file format's tests, 100
#                                seeds, tests/fuzz/smoke.sched in both backends
#                                and its determinism; tests/mutants/fuzz/*.sched
#                                (each fails a mutant) passed by the tree's Raft
#
# The first failing seed is shrunk and saved as $(BUILD)/fuzz/<tag>-seed<N>.sched
# (tag: the mutant, the impl or "reference"), with the command that replays
# it; for the tree's own Raft, make lab TEST=Fuzz/Replay LAB_FUZZ_SCHEDULE=<file>.

FUZZ_BIN = $(if $(MUTANT),$(BUILD)/mutants/$(MUTANT)/raft_tests,$(BUILD)/sim/$(if $(IMPL),impls/$(IMPL)/)raft_tests)
FUZZ_RUN = LAB_FUZZ_DIR=$(BUILD)/fuzz LAB_FUZZ_TAG=$(or $(MUTANT),$(IMPL),reference)

.PHONY: fuzz fuzz-smoke
fuzz: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/sim/raft_tests $(if $(IMPL),$(FUZZ_BIN))
	@mkdir -p $(BUILD)/fuzz
	@[ -z "$(MUTANT)" ] || [ -x scripts/mutants ] || { echo "make fuzz MUTANT=: this is a student tree (the mutants are changes to the reference)" >&2; exit 2; }
	@[ -z "$(MUTANT)" ] || scripts/mutants -n 0 --no-control --faithful-only --report $(BUILD)/fuzz/mutant-build.md \
	  $(MUTANT) > $(BUILD)/fuzz/mutant-build.log 2>&1 || { tail -n 30 $(BUILD)/fuzz/mutant-build.log; exit 1; }
	@$(FUZZ_RUN) LAB_FUZZ_SEEDS=$(or $(N),200) LAB_FUZZ_FIRST=$(or $(FIRST),1) \
	  $(FUZZ_BIN) --run_test=Fuzz/Search --color_output=no

# Part of make test, after `all` built both backends.
fuzz-smoke:
	@$(BUILD)/sim/raft_tests --run_test='Fuzz/Schedule_*' --color_output=no > $(BUILD)/fuzz-smoke.log 2>&1 || \
	  { cat $(BUILD)/fuzz-smoke.log; echo "fuzz-smoke: the schedule format's tests failed"; exit 1; }
	@$(FUZZ_RUN) LAB_FUZZ_SEEDS=100 $(BUILD)/sim/raft_tests --run_test=Fuzz/Search --color_output=no > $(BUILD)/fuzz-smoke.log 2>&1 || \
	  { cat $(BUILD)/fuzz-smoke.log; echo "fuzz-smoke: the search found a failure"; exit 1; }
	@grep '^fuzz: .* seeds passed' $(BUILD)/fuzz-smoke.log
	@for b in $(BACKENDS); do \
	  LAB_FUZZ_SCHEDULE=tests/fuzz/smoke.sched $(BUILD)/$$b/raft_tests --run_test=Fuzz/Replay --color_output=no > $(BUILD)/fuzz-smoke.log 2>&1 || \
	    { cat $(BUILD)/fuzz-smoke.log; echo "fuzz-smoke: tests/fuzz/smoke.sched failed ($$b)"; exit 1; }; \
	  echo "fuzz: tests/fuzz/smoke.sched replayed ($$b): passed"; \
	done
	@for f in $(wildcard tests/mutants/fuzz/*.sched); do \
	  LAB_FUZZ_SCHEDULE=$$f $(BUILD)/sim/raft_tests --run_test=Fuzz/Replay --color_output=no > $(BUILD)/fuzz-smoke.log 2>&1 || \
	    { cat $(BUILD)/fuzz-smoke.log; echo "fuzz-smoke: $$f failed"; exit 1; }; \
	  echo "fuzz: $$f replayed (sim): passed"; \
	done
	@LAB_FUZZ_SCHEDULE=tests/fuzz/smoke.sched scripts/determinism-check $(BUILD)/sim/raft_tests Fuzz/Replay 1
