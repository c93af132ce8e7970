# The C++ Raft lab. The only entry point:
#
#   make            build everything (installs missing Debian packages first);
#                   in a student tree, only what make lab runs (see lab-build)
#   make lab        run the Raft lab tests (2A-2D) with the Go-style report
#                   (simulation by default; MODE=real for real threads and time;
#                    PART=2B or TEST=TestBackup2B to narrow it; PART=4A or 4C
#                    for the rsm tests, PART=4B for the key/value service;
#                    LAB_EDITION=2025 or 2026 for those years' tests, parts 3A-3D;
#                    IMPL=<name> for the Raft in tests/impls/<name>/)
#   make test       build and run every test, in both backends
#   make bench      benchmarks: labrpc round trip, suite times real vs sim
#   make stress     many runs in parallel (PART=2A or TEST=..., RUNS=20, WORKERS=2, MODE=sim|real)
#   make corpus     the broken student Rafts of tests/corpus/: each one's message (also in make test)
#   make mutants    the mutant catalogue (tests/mutants/): each classic bug's kill rate, faithful and strict
#   make fuzz       the fault fuzzer: random fault schedules, a failure shrunk and saved (N=, MUTANT=, IMPL=)
#   make porcupine-test  the linearizability checker: the corpus's answers, the viewer (also in make test)
#   make porcupine-bench the checker's time per corpus history
#   make handout    cut the student tree into build/handout (or DIR=...); teachers only
#   make gradescope the Gradescope autograder zip (build/gradescope/); teachers only
#   make tsan       the tests under ThreadSanitizer (real backend)
#   make asan       the tests under AddressSanitizer + UBSan (both backends)
#   make tsa        Clang's -Wthread-safety over every source, as errors (also in make test)
#   make compdb     compile_commands.json for clangd (also written by make)
#   make clean
#
# CXX=clang++ builds everything with Clang instead of g++ 12 (into build/clang).

CXX      ?= g++
ifeq ($(origin CXX),default)
CXX      := g++
endif
JOBS     ?= 2
BUILD    ?= build$(if $(findstring clang,$(CXX)),/clang)
WARN     := -Wall -Wextra -Werror $(if $(findstring clang,$(CXX)),-Wthread-safety -Wthread-safety-beta)
CXXSTD   := -std=c++20
CPPFLAGS := -I. -DBOOST_TEST_DYN_LINK -MMD -MP
BOOST_TEST_LIB := -lboost_unit_test_framework
LIBS     := -lboost_serialization -pthread

# Sources by role.
LAB_COMMON := lab/common.cpp
LAB_REAL   := $(wildcard lab/real/*.cpp)
LAB_SIM    := $(wildcard lab/sim/*.cpp)
CORE       := $(wildcard labgob/*.cpp labrpc/*.cpp persister/*.cpp)
RAFTAPI    := $(wildcard raftapi/*.cpp)
RAFT       := $(filter-out %_test.cpp,$(wildcard raft/*.cpp))
RAFT_UNIT  := $(wildcard raft/*_test.cpp)
TESTER     := $(wildcard tester/*.cpp)
# Every Boost.Test binary links the verdict channel (the grader and scripts/stress read it).
VERDICT    := tests/support/verdict.cpp
UNIT       := $(wildcard tests/unit/*.cpp) $(VERDICT)
RAFT_TESTS := $(wildcard tests/raft/*.cpp) $(VERDICT)
BENCH      := $(wildcard tests/bench/*.cpp)

BACKENDS   := real sim
MODE       ?= sim

# Variant flags: <variant>_FLAGS, <variant>_LAB (backend sources), <variant>_LIBS.
real_FLAGS      := -O2 -g
real_LAB        := $(LAB_REAL)
sim_FLAGS       := -O2 -g -DLAB_SIM
sim_LAB         := $(LAB_SIM)
sim_LIBS        := -lboost_fiber -lboost_context -ldl
tsan_FLAGS      := -O1 -g -fsanitize=thread -Wno-tsan  # Asio uses fences TSan does not model; g++ warns
tsan_LAB        := $(LAB_REAL)
asan_FLAGS      := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
asan_LAB        := $(LAB_REAL)
asan-sim_FLAGS  := $(asan_FLAGS) -DLAB_SIM --param=asan-stack=0 -DLAB_NO_ASAN_FIBERS # ASan without stack instrumentation (heap+leaks; no fiber switch annotations)
asan-sim_LAB    := $(LAB_SIM)
asan-sim_LIBS   := $(sim_LIBS)

VARIANTS := real sim tsan asan asan-sim

.PHONY: all deps test lab bench tsan asan tsa compdb clean stress handout lab-build corpus check-rules gradescope mutants
# A bare `make` builds every binary in the reference tree. A student tree (cut
# by scripts/handout, which is not handed out) has no scripts/handout: there it
# builds only build/$(MODE)/raft_tests, the binary make lab runs, minutes sooner.
.DEFAULT_GOAL := $(if $(wildcard scripts/handout),all,lab-build)

# First step of every target: install what is missing (Debian packages only).
deps:
	@scripts/setup-deps

define variant_rules
$(BUILD)/$(1)/obj/%.o: %.cpp | deps
	@mkdir -p $$(dir $$@)
	$$(CXX) $$(CXXSTD) $$(WARN) $$(CPPFLAGS) $$($(1)_FLAGS) -c $$< -o $$@

$(1)_LIBOBJ := $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(LAB_COMMON) $$($(1)_LAB) $(CORE))
$(1)_RAFTOBJ := $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(RAFTAPI) $(RAFT) $(TESTER))

$(BUILD)/$(1)/unit_tests: $$($(1)_LIBOBJ) $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(UNIT))
	$$(CXX) $$($(1)_FLAGS) $$^ -o $$@ $(BOOST_TEST_LIB) $$($(1)_LIBS) $(LIBS)

$(BUILD)/$(1)/raft_tests: $$($(1)_LIBOBJ) $$($(1)_RAFTOBJ) $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(RAFT_TESTS))
	$$(CXX) $$($(1)_FLAGS) $$^ -o $$@ $(BOOST_TEST_LIB) $$($(1)_LIBS) $(LIBS)

# The student's own unit tests (raft/*_test.cpp): not part of make lab.
$(BUILD)/$(1)/student_tests: $$($(1)_LIBOBJ) $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(RAFT_UNIT) tests/support/student_main.cpp $(VERDICT))
	$$(CXX) $$($(1)_FLAGS) $$^ -o $$@ $(BOOST_TEST_LIB) $$($(1)_LIBS) $(LIBS)

$(BUILD)/$(1)/bench: $$($(1)_LIBOBJ) $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(BENCH))
	$$(CXX) $$($(1)_FLAGS) $$^ -o $$@ $$($(1)_LIBS) $(LIBS)

-include $$(shell find $(BUILD)/$(1)/obj -name '*.d' 2>/dev/null)
endef
$(foreach v,$(VARIANTS),$(eval $(call variant_rules,$(v))))
# Other Raft implementations behind raftapi, one folder each under
# tests/impls/<name>/: each links with the same tester and tests into
# build/<variant>/impls/<name>/raft_tests. `make lab IMPL=<name>` runs one.
IMPLS := $(notdir $(patsubst %/,%,$(wildcard tests/impls/*/)))
IMPL_SRC := $(wildcard tests/impls/*/*.cpp)
define impl_rules
$(BUILD)/$(1)/impls/$(2)/raft_tests: $$($(1)_LIBOBJ) $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(RAFTAPI) $(wildcard tests/impls/$(2)/*.cpp) $(TESTER) $(RAFT_TESTS))
	@mkdir -p $$(dir $$@)
	$$(CXX) $$($(1)_FLAGS) $$^ -o $$@ $(BOOST_TEST_LIB) $$($(1)_LIBS) $(LIBS)
endef
$(foreach v,$(VARIANTS),$(foreach i,$(IMPLS),$(eval $(call impl_rules,$(v),$(i)))))
# The corpus of broken student Rafts (tests/corpus/<case>.cpp, one file each,
# on the small base tests/corpus/base.hpp): each links with the tester and
# tests into build/<variant>/corpus/<case>. scripts/test-corpus builds and
# runs them (make corpus).
CORPUS := $(basename $(notdir $(wildcard tests/corpus/*.cpp)))
define corpus_rules
$(BUILD)/$(1)/corpus/$(2): $$($(1)_LIBOBJ) $$(patsubst %.cpp,$(BUILD)/$(1)/obj/%.o,$(RAFTAPI) tests/corpus/$(2).cpp $(TESTER) $(RAFT_TESTS))
	@mkdir -p $$(dir $$@)
	$$(CXX) $$($(1)_FLAGS) $$^ -o $$@ $(BOOST_TEST_LIB) $$($(1)_LIBS) $(LIBS)
endef
$(foreach v,$(VARIANTS),$(foreach c,$(CORPUS),$(eval $(call corpus_rules,$(v),$(c)))))
# The linearizability checker (porcupine/) and its tests: make porcupine-test,
# make porcupine-bench (part of make test).
include porcupine/porcupine.mk
# The key/value labs: the rsm (4A) and its tests, build/<variant>/rsm_tests.
include kvraft/kvraft.mk
# The scripted scenarios of the paper's traps: make scripted (and a smoke in make test).
include tests/raft/scripted.mk
# The fault fuzzer: make fuzz, make fuzz-smoke (part of make test).
include tests/fuzz/fuzz.mk

# The binary make lab and make stress run.
LAB_BIN = $(BUILD)/$(MODE)/$(if $(IMPL),impls/$(IMPL)/)$(or $(LAB_SUITE),raft_tests)

# The failure timeline's page is linked into timeline.o (.incbin).
$(foreach v,$(VARIANTS),$(eval $(BUILD)/$(v)/obj/tester/timeline.o: tester/timeline.html))

bins = $(BUILD)/$(1)/unit_tests $(BUILD)/$(1)/raft_tests $(if $(RAFT_UNIT),$(BUILD)/$(1)/student_tests)

all: deps compdb
	@$(MAKE) --no-print-directory -j$(JOBS) $(foreach b,$(BACKENDS),$(call bins,$(b)) $(BUILD)/$(b)/bench)

lab-build: deps compdb
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/$(MODE)/raft_tests
	@echo "make: built $(BUILD)/$(MODE)/raft_tests for make lab; make all builds every binary"

# Every test, in both backends; the determinism check (one seed, two
# processes, the same trace); the failure timeline in headless Chromium; the
# tools' own tests.
test: check-rules all
	@$(MAKE) --no-print-directory tsa
	@for b in $(BACKENDS); do \
	  scripts/run-tests $(BUILD)/$$b || exit 1; \
	done
	@scripts/determinism-check $(BUILD)/sim/unit_tests labrpc_tests/TestUnreliable 1
	@scripts/determinism-check $(BUILD)/sim/raft_tests '*/TestFigure8Unreliable2C' 1
	@[ ! -x scripts/test-timeline ] || scripts/test-timeline $(BUILD)/sim/raft_tests $(BUILD)/real/raft_tests
	@[ ! -x scripts/test-tools ] || scripts/test-tools
	@[ ! -x scripts/test-editions ] || scripts/test-editions $(BUILD)/sim/raft_tests --full
	@[ ! -x scripts/test-corpus ] || scripts/test-corpus --build $(BUILD) -j$(JOBS)
	@[ ! -x scripts/test-hostile ] || scripts/test-hostile
	@$(MAKE) --no-print-directory porcupine-test
	@[ ! -d tests/rsm ] || $(MAKE) --no-print-directory rsm-smoke
	@[ ! -d tests/kvraft ] || $(MAKE) --no-print-directory kv-smoke
	@$(MAKE) --no-print-directory scripted-smoke
	@$(MAKE) --no-print-directory fuzz-smoke
	@[ ! -x scripts/mutants ] || scripts/mutants --check --no-build -n 2 --no-control --fresh --require-kill \
	  --report $(BUILD)/mutants/smoke.md heartbeat-without-commit applier-skips-on-relock

lab: deps check-rules
	@$(MAKE) --no-print-directory -j$(JOBS) $(LAB_BIN)
	@scripts/lab-report $(LAB_BIN) $(if $(TEST),--run_test=$(TEST),$(if $(PART),--run_test=@$(PART)))

# The lab's concurrency rules (std::thread, std::mutex, real sleeps,
# thread_local ... in the student's files, as the manifest student-paths
# lists them; in tests/impls/<IMPL>/ with IMPL=): warnings before the build,
# never a failure, nothing printed when clean (scripts/check-rules).
check-rules:
	@[ ! -x scripts/check-rules ] || scripts/check-rules $(if $(IMPL),tests/impls/$(IMPL))

# The corpus of broken student Rafts (tests/corpus/<case>.cpp): each built
# into build/<backend>/corpus/<case>, its test run with a wall-time bound,
# its message checked (scripts/test-corpus; CASES=... for some).
corpus: deps
	@scripts/test-corpus --build $(BUILD) -j$(JOBS) $(CASES)

# The mutant catalogue (tests/mutants/<name>.mut): classic Raft bugs, each a
# small change to a copy of raft/, linked with build/sim's objects and run
# over seeds in the faithful suite and with LAB_STRICT=1; the kill rates go to
# build/mutants/report.md (scripts/mutants; MUTANTS_ARGS="-n 5 <name> ..." to narrow).
mutants: deps
	@[ -x scripts/mutants ] || { echo "make mutants: this is a student tree (the mutants are changes to the reference)" >&2; exit 2; }
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/sim/raft_tests
	@scripts/mutants --no-build -j$(JOBS) $(MUTANTS_ARGS)

# Figures, never assertions: the labrpc round trip in each backend (with a
# bare hand-off as the baseline), then wall time of test suites, real vs sim.
# In a student tree (no scripts/handout) the 2A ratio waits for a Raft that
# passes 2A: until then it says so and make bench still succeeds.
bench: all
	@for b in $(BACKENDS); do $(BUILD)/$$b/bench || exit 1; done
	@scripts/bench-ratio $(BUILD) unit_tests labrpc_tests
	@scripts/bench-ratio $(BUILD) raft_tests @2A $(if $(wildcard scripts/handout),,|| true)

# PART=2B or TEST=TestBackup2B narrow them to those Raft tests, as in make lab
# (raft_tests only, with make lab's report).
SAN_SELECT = $(if $(TEST),--run_test=$(TEST),$(if $(PART),--run_test=@$(PART)))
tsan: deps
ifneq ($(TEST)$(PART),)
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/tsan/raft_tests
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0 die_after_fork=0" scripts/lab-report $(BUILD)/tsan/raft_tests $(SAN_SELECT)
else
	@$(MAKE) --no-print-directory -j$(JOBS) $(call bins,tsan)
	@TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 report_signal_unsafe=0 die_after_fork=0" scripts/run-tests $(BUILD)/tsan
endif

asan: deps
ifneq ($(TEST)$(PART),)
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/asan/raft_tests $(BUILD)/asan-sim/raft_tests
	@UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1" scripts/lab-report $(BUILD)/asan/raft_tests $(SAN_SELECT)
	@UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1" scripts/lab-report $(BUILD)/asan-sim/raft_tests $(SAN_SELECT)
else
	@$(MAKE) --no-print-directory -j$(JOBS) $(call bins,asan) $(call bins,asan-sim)
	@UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1" scripts/run-tests $(BUILD)/asan
	@UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1" scripts/run-tests $(BUILD)/asan-sim
endif

# Clang's thread-safety analysis as errors (-fsyntax-only), over every source
# including the benchmarks; lab/sim/ with LAB_SIM. One stamp per source, so a
# second run checks only what changed. Part of make test.
TSA_SRC := $(LAB_COMMON) $(LAB_REAL) $(CORE) $(RAFTAPI) $(RAFT) $(RAFT_UNIT) $(TESTER) $(UNIT) $(RAFT_TESTS) \
           $(BENCH) tests/support/student_main.cpp $(IMPL_SRC) $(PORCUPINE_SRC) $(wildcard tests/porcupine/*.cpp) \
           $(KVRAFT_SRC) $(KV_SRC) $(KVTEST_SRC) $(KV_TESTS)
TSA_FLAGS := $(CXXSTD) -Wall -Wextra -Werror -Wthread-safety -Wthread-safety-beta -I. -DBOOST_TEST_DYN_LINK -fsyntax-only
TSA_OK := $(patsubst %.cpp,build/tsa/%.ok,$(TSA_SRC)) $(patsubst %.cpp,build/tsa/sim/%.ok,$(LAB_SIM))
build/tsa/sim/%.ok: %.cpp | deps
	@mkdir -p $(dir $@)
	@clang++ $(TSA_FLAGS) -DLAB_SIM -MMD -MP -MF $(@:.ok=.d) -MT $@ $< && touch $@
build/tsa/%.ok: %.cpp | deps
	@mkdir -p $(dir $@)
	@clang++ $(TSA_FLAGS) -MMD -MP -MF $(@:.ok=.d) -MT $@ $< && touch $@
-include $(shell find build/tsa -name '*.d' 2>/dev/null)
tsa: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(TSA_OK)
	@echo "tsa: $(words $(TSA_OK)) files clean under clang++ -Wthread-safety"

# compile_commands.json for clangd and clang-tidy (includes are rooted at the
# repository): every source with the build's flags, lab/sim/ with LAB_SIM.
# Written by every make; cheap.
compdb: | deps
	@python3 -c 'import json, os, sys; print(json.dumps([{"directory": os.getcwd(), "file": f, "arguments": ["clang++"] + sys.argv[1].split() + (["-DLAB_SIM"] if f.startswith("lab/sim/") else []) + ["-c", f]} for f in sys.argv[2:]], indent=1))' \
	  "$(CXXSTD) $(WARN) -I. -DBOOST_TEST_DYN_LINK" $(sort $(TSA_SRC) $(LAB_SIM)) > compile_commands.json

# Repeated runs (scripts/stress): failure logs and replay commands in build/stress/.
stress: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(BUILD)/$(MODE)/raft_tests
	@scripts/stress $(or $(TEST),$(PART)) -n $(or $(RUNS),20) -p $(or $(WORKERS),$(JOBS)) --backend $(MODE) --no-build

# The student tree (scripts/handout); `make -C build/handout` builds it.
# The Gradescope autograder (build/gradescope/autograder.zip): teachers only.
gradescope:
	@[ -x scripts/gradescope ] || { echo "make gradescope: this is a student tree" >&2; exit 2; }
	@scripts/gradescope

handout:
	@[ -x scripts/handout ] || { echo "make handout: this is a student tree; handouts are cut from the reference" >&2; exit 2; }
	@scripts/handout $(DIR)

clean:
	rm -rf $(BUILD)
