# The linearizability checker (porcupine/) and its tests, for the top-level
# Makefile to include. Reuses its variables (BUILD, CXX, CXXSTD, WARN,
# CPPFLAGS, real_FLAGS, LIBS, BOOST_TEST_LIB) and its object rule for the
# real variant ($(BUILD)/real/obj/%.o).
#
#   make porcupine-test    the unit tests (every corpus history against
#                          expected.txt, small cases, the viewer), then the
#                          viewer's page in headless Chromium
#   make porcupine-bench   the time of each corpus history
#
# The tests run under an 8 GB address-space limit: a search without a budget
# keeps every state it visits, and some corpus keys never finish.
#
# Before the include exists: make -f Makefile -f porcupine/porcupine.mk porcupine-test

PORCUPINE_SRC       := $(wildcard porcupine/*.cpp porcupine/models/*.cpp)
PORCUPINE_TEST_SRC  := $(filter-out tests/porcupine/bench.cpp,$(wildcard tests/porcupine/*.cpp))
PORCUPINE_OBJ        = $(patsubst %.cpp,$(BUILD)/real/obj/%.o,$(PORCUPINE_SRC))
PORCUPINE_TEST_BIN  := $(BUILD)/real/porcupine_tests
PORCUPINE_BENCH_BIN := $(BUILD)/real/porcupine_bench

# The viewer's page is linked into viewer.o (.incbin).
$(BUILD)/real/obj/porcupine/viewer.o: porcupine/viewer.html

# Like every Boost.Test binary of the project, with the verdict channel
# ($(VERDICT), when the Makefile defines it) for scripts/grade and scripts/stress.
$(PORCUPINE_TEST_BIN): $(PORCUPINE_OBJ) $(patsubst %.cpp,$(BUILD)/real/obj/%.o,$(PORCUPINE_TEST_SRC) $(VERDICT))
	$(CXX) $(real_FLAGS) $^ -o $@ $(BOOST_TEST_LIB) $(LIBS)

$(PORCUPINE_BENCH_BIN): $(PORCUPINE_OBJ) $(BUILD)/real/obj/tests/porcupine/bench.o $(BUILD)/real/obj/tests/porcupine/corpus.o
	$(CXX) $(real_FLAGS) $^ -o $@ $(LIBS)

# The recursive make that builds with -j$(JOBS) must read this file too,
# whether the top-level Makefile includes it yet or not.
PORCUPINE_MAKE = $(MAKE) --no-print-directory -j$(JOBS) \
  $(if $(shell grep -qsE '^-?include.*porcupine/porcupine\.mk' Makefile && echo y),,-f Makefile -f porcupine/porcupine.mk)

.PHONY: porcupine-test porcupine-bench
porcupine-test: deps
	@$(PORCUPINE_MAKE) $(PORCUPINE_TEST_BIN)
	@echo "== $(PORCUPINE_TEST_BIN)"
	@ulimit -v 8000000; PORCUPINE_VIEW_DIR=$(BUILD)/porcupine $(PORCUPINE_TEST_BIN) --log_level=test_suite --report_level=short --color_output=no > $(BUILD)/real/porcupine_tests.log 2>&1 || \
	  { grep -E 'error|fail|FAIL' $(BUILD)/real/porcupine_tests.log | tail -n 40; echo "FAILED: $(PORCUPINE_TEST_BIN) (full log: $(BUILD)/real/porcupine_tests.log)"; exit 1; }
	@grep -E "^corpus:" $(BUILD)/real/porcupine_tests.log || true
	@tail -n 2 $(BUILD)/real/porcupine_tests.log | grep -v '^$$'
	@scripts/test-porcupine-viewer $(BUILD)/porcupine

porcupine-bench: deps
	@$(PORCUPINE_MAKE) $(PORCUPINE_BENCH_BIN)
	@$(PORCUPINE_BENCH_BIN)
