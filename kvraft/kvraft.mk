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
#   build/<variant>/kvraft_tests the key/value service's tests (4B, and 4C)
#   make lab PART=4B            them, with make lab's report
#   make kv-smoke               two seeds of a few 4B and 4C tests in simulation, one
#                               run of them in real time, and each student bug of tests/kvraft/broken/ with
#                               its expected failure (part of make test)

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
# tests, PART=4B (or TEST=<a 4B test, or a kv 4C test>) the key/value
# service's: the Makefile's LAB_BIN takes this binary when LAB_SUITE is set.
# (PART=4C stays the rsm's TestSnapshot4C; the service's 4C tests run with
# build/<variant>/kvraft_tests --run_test=@4C.)
LAB_SUITE = $(if $(filter 4B,$(PART))$(filter %4B,$(TEST))$(filter-out %TestSnapshot4C,$(filter %4C,$(TEST))),kvraft_tests,$(if $(filter 4A 4C,$(PART))$(filter %4A %4C,$(TEST)),rsm_tests))

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

# The key/value service (4B, 4C): build/<variant>/kvraft_tests, on the rsm and
# the reference Raft. The checker's objects are built per variant here (the
# sim backend checks without threads).
KV_SRC        := $(wildcard kvraft/server.cpp kvraft/client.cpp)
KVTEST_SRC    := $(wildcard kvtest/*.cpp)
KV_TESTS      := $(wildcard tests/kvraft/*.cpp)
KV_COMMON     := $(RSM_SRC) $(KVTESTER_SRC) $(KVTEST_SRC) $(KV_TESTS) $(PORCUPINE_SRC)
# Student bugs, each a file that replaces one of the service's
# (tests/kvraft/broken/<name>.cpp names the one it replaces on its first
# line): build/<variant>/kvraft_tests_<name>; scripts/test-kv-broken runs them.
KV_BROKEN     := $(basename $(notdir $(wildcard tests/kvraft/broken/*.cpp)))
kv_replaced    = $(shell sed -n '1s|^// replaces \([^ ]*\).*|\1|p' tests/kvraft/broken/$(1).cpp)

define kv_rules
$(BUILD)/$(1)/obj/porcupine/viewer.o: porcupine/viewer.html
$(BUILD)/$(1)/kvraft_tests: $$($(1)_LIBOBJ) $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(RAFTAPI) $(RAFT) $(KV_SRC) $(KV_COMMON) $(VERDICT))
	$$(CXX) $$($(1)_FLAGS) $$^ -o $$@ $(BOOST_TEST_LIB) $$($(1)_LIBS) $(LIBS)
endef
$(foreach v,$(VARIANTS),$(eval $(call kv_rules,$(v))))

define kv_broken_rules
$(BUILD)/$(1)/kvraft_tests_$(2): $$($(1)_LIBOBJ) $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(RAFTAPI) $(RAFT) $(filter-out $(call kv_replaced,$(2)),$(KV_SRC)) tests/kvraft/broken/$(2).cpp $(KV_COMMON) $(VERDICT))
	$$(CXX) $$($(1)_FLAGS) $$^ -o $$@ $(BOOST_TEST_LIB) $$($(1)_LIBS) $(LIBS)
endef
$(foreach v,$(VARIANTS),$(foreach b,$(KV_BROKEN),$(eval $(call kv_broken_rules,$(v),$(b)))))

# Each student bug: the test it must fail, and the text of that failure.
KV_BROKEN_TEST_clerk_no_errmaybe := TestPersistPartitionUnreliableLinearizable4B
KV_BROKEN_WANT_clerk_no_errmaybe := history is not linearizable
KV_SMOKE_TESTS := KV4B/TestBasic4B,TestUnreliable4B,TestOnePartition4B:KV4C/TestSnapshotRPC4C,TestSnapshotSize4C

.PHONY: kv-smoke
kv-smoke: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/sim/kvraft_tests $(foreach b,$(KV_BROKEN),$(BUILD)/sim/kvraft_tests_$(b))
	@for s in 1 2; do \
	  LAB_SEED=$$s $(BUILD)/sim/kvraft_tests --run_test=$(KV_SMOKE_TESTS) --report_level=short > $(BUILD)/sim/kv_smoke_$$s.log 2>&1 || \
	    { tail -n 30 $(BUILD)/sim/kv_smoke_$$s.log; echo "FAILED: LAB_SEED=$$s $(BUILD)/sim/kvraft_tests --run_test=$(KV_SMOKE_TESTS)"; exit 1; }; \
	  grep -m1 "test cases out of" $(BUILD)/sim/kv_smoke_$$s.log | sed "s/^ */kv-smoke seed $$s: /"; \
	done
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/real/kvraft_tests
	@$(BUILD)/real/kvraft_tests --run_test=$(KV_SMOKE_TESTS) --report_level=short > $(BUILD)/real/kv_smoke.log 2>&1 || \
	  { tail -n 30 $(BUILD)/real/kv_smoke.log; echo "FAILED: $(BUILD)/real/kvraft_tests --run_test=$(KV_SMOKE_TESTS)"; exit 1; }
	@grep -m1 "test cases out of" $(BUILD)/real/kv_smoke.log | sed "s/^ */kv-smoke real: /"
	@$(foreach b,$(KV_BROKEN),\
	  mkdir -p $(BUILD)/kv-broken; log=$(BUILD)/sim/kv_broken_$(b).log; page=$(BUILD)/kv-broken/$(b).html; rm -f $$page; \
	  if LAB_SEED=1 VIS_FILE=$$page $(BUILD)/sim/kvraft_tests_$(b) --run_test=*/$(KV_BROKEN_TEST_$(b)) > $$log 2>&1; then \
	    echo "FAILED: $(b) passed $(KV_BROKEN_TEST_$(b)) (log: $$log)"; exit 1; fi; \
	  grep -q "$(KV_BROKEN_WANT_$(b))" $$log || { tail -n 20 $$log; echo "FAILED: $(b): no \"$(KV_BROKEN_WANT_$(b))\" (log: $$log)"; exit 1; }; \
	  grep -q "info: wrote history visualization to $$page" $$log && [ -s $$page ] || { echo "FAILED: $(b): no viewer page $$page"; exit 1; }; \
	  echo "kv-smoke: $(b) fails $(KV_BROKEN_TEST_$(b)) with \"$(KV_BROKEN_WANT_$(b))\" ($$page)";)
