// Running a test body inside lab::run from Boost.Test.
//
//   BOOST_AUTO_TEST_CASE(Chan_send_blocksUntilReceived) {
//     auto r = labtest::run([] { ...; LAB_CHECK(x == 1, "x is " << x); });
//     LAB_REQUIRE_PASSED(r);
//   }
//
// Inside the run, check with LAB_CHECK (it calls lab::fail, which ends the run);
// Boost.Test's own assertions belong outside, on the Result, because the body
// runs on other threads (or fibers).
#pragma once

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>

#include "lab/common.hpp"
#include "lab/lab.hpp"

namespace labtest {

// The line before a run that says its seed and whether it replays.
inline void announce_seed(std::uint64_t s) {
  const auto seed = static_cast<unsigned long long>(s);
  // Only the simulation replays a run from its seed.
  if (std::string_view(lab::backend()) == "sim")
    std::printf("seed %llu (sim backend): LAB_SEED=%llu replays this run\n", seed, seed);
  else
    std::printf("seed %llu (%s backend): real time: the seed fixes random choices, not the schedule\n", seed,
                lab::backend());
  std::fflush(stdout);
}

// The line after a run: its trace's hash, which scripts/determinism-check
// compares between runs of one seed.
inline void announce_trace(const lab::Result& r) {
  std::printf("trace %016llx (%llu lines)\n", static_cast<unsigned long long>(r.trace_hash),
              static_cast<unsigned long long>(r.trace_lines));
  std::fflush(stdout);
}

// Runs body with the seed from LAB_SEED (or a fresh one) and prints that seed,
// so any run can be replayed.
inline lab::Result run(std::function<void()> body, lab::Options opts = {}) {
  opts.seed = lab::seed_from_env();
  if (opts.test.empty() && boost::unit_test::framework::test_in_progress())
    opts.test = boost::unit_test::framework::current_test_case().full_name();
  announce_seed(opts.seed);
  lab::Result r = lab::run(opts, std::move(body));
  announce_trace(r);
  return r;
}

// Inside a run: waits until the activity named `name` is blocked in a lab::
// call whose report contains `in` ("Chan::send", "select"). A test that
// needs another activity to be waiting waits for exactly that, rather than
// sleeping for a time a loaded machine may outlast.
inline void await_blocked(const std::string& name, const std::string& in) {
  const std::string who = "'" + name + "' (#";
  for (;;) {
    const std::string report = lab::detail::live_activities();
    for (std::size_t at = report.find(who); at != std::string::npos; at = report.find(who, at + 1)) {
      const std::string line = report.substr(at, report.find('\n', at) - at);
      if (line.find(") blocked in ") != std::string::npos && line.find(in) != std::string::npos) return;
    }
    lab::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace labtest

#define LAB_CHECK(cond, msg)                                                    \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::ostringstream lab_check_os_;                                         \
      lab_check_os_ << msg;                                                     \
      lab::fail(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + \
                lab_check_os_.str());                                           \
    }                                                                           \
  } while (0)

#define LAB_REQUIRE_PASSED(r) BOOST_REQUIRE_MESSAGE((r).ok(), (r).summary())
