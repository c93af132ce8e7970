# The key/value labs (kvraft/, kvtester/, tests/rsm/), for the top-level
# Makefile to include after its variant rules. Reuses its variables (BUILD,
# CXX, VARIANTS, <variant>_FLAGS/_LIBS/_LIBOBJ, RAFTAPI, RAFT, VERDICT,
# BOOST_TEST_LIB, LIBS) and its object rules.
#
#   build/<variant>/rsm_tests   the rsm tests (4A, and TestSnapshot4C), on the
#                               reference Raft of raft/
#   make lab PART=4A            the rsm tests of a part (4A, 4C) with make lab's report
#   make rsm-smoke              two seeds of every rsm test in simulation and
#                               one run in real time (part of make test)

RSM_SRC       := $(wildcard kvraft/rsm/*.cpp)
KVTESTER_SRC  := $(wildcard kvtester/*.cpp)
RSM_TESTS     := $(wildcard tests/rsm/*.cpp)
KVRAFT_SRC    := $(RSM_SRC) $(KVTESTER_SRC) $(RSM_TESTS)

define kvraft_rules
$(BUILD)/$(1)/rsm_tests: $$($(1)_LIBOBJ) $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(RAFTAPI) $(RAFT) $(KVRAFT_SRC) $(VERDICT))
	$$(CXX) $$($(1)_FLAGS) $$^ -o $$@ $(BOOST_TEST_LIB) $$($(1)_LIBS) $(LIBS)
endef
$(foreach v,$(VARIANTS),$(eval $(call kvraft_rules,$(v))))

# make lab PART=4A (or 4C, or TEST=<a test of those parts>) runs the rsm
# tests: the Makefile's LAB_BIN takes this binary when LAB_SUITE is set.
LAB_SUITE = $(if $(filter 4A 4C,$(PART))$(filter %4A %4C,$(TEST)),rsm_tests)

.PHONY: rsm-smoke
rsm-smoke: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/sim/rsm_tests
	@for s in 1 2; do \
	  LAB_SEED=$$s $(BUILD)/sim/rsm_tests --report_level=short > $(BUILD)/sim/rsm_smoke_$$s.log 2>&1 || \
	    { tail -n 30 $(BUILD)/sim/rsm_smoke_$$s.log; echo "FAILED: LAB_SEED=$$s $(BUILD)/sim/rsm_tests"; exit 1; }; \
	  grep -m1 "test cases out of" $(BUILD)/sim/rsm_smoke_$$s.log | sed "s/^ */rsm-smoke seed $$s: /"; \
	done
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/real/rsm_tests
	@$(BUILD)/real/rsm_tests --report_level=short > $(BUILD)/real/rsm_smoke.log 2>&1 || \
	  { tail -n 30 $(BUILD)/real/rsm_smoke.log; echo "FAILED: $(BUILD)/real/rsm_tests"; exit 1; }
	@grep -m1 "test cases out of" $(BUILD)/real/rsm_smoke.log | sed "s/^ */rsm-smoke real: /"
