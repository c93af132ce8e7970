// Shared by the ported Raft tests: the constants of test_test.go and the
// wrapper that runs a test body inside a lab:: run with the Go lab's 120 s
// per-test limit, and writes the failure timeline (tester/timeline.hpp).
#pragma once

#include <chrono>
#include <functional>

#include "tests/support/run.hpp"
#include "tester/config.hpp"

namespace raft_tests {

using namespace std::chrono_literals;
using labgob::Command;
using tester::Cleanup;
using tester::Config;
using tester::fatal;
using tester::make_config;
using tester::randInt;
// Beyond Go: after begin(), each test names what it is there to exercise
// (cfg->exercises, cfg->mustExercise); end() reports each (tester/scenario.hpp).
using tester::Scenario;

// How long an election may take: a whole second, far longer than the
// timeouts the paper suggests, to give solutions plenty of room.
inline constexpr lab::Duration RaftElectionTimeout = 1000ms;

inline void runTest(std::function<void()> body) {
  lab::Options opts;
  opts.time_limit = 120s;
  auto r = labtest::run(std::move(body), opts);
  // A failed run (or any, with LAB_VIS=always) leaves its timeline as HTML.
  tester::Timeline::finishRun(boost::unit_test::framework::current_test_case().p_name.get(), r);
  LAB_REQUIRE_PASSED(r);
}

}  // namespace raft_tests

// Kept below runTest, whose line Boost prints in a failure report.
#include "tests/raft/part.hpp"
