// Crashes tell their story, in both backends: a fatal signal, abort(), exit and
// its kin called during a run, SIGINT; and an uncaught exception names its type.
// The crashing cases end their process by design, so each runs in a forked
// child whose stdout and stderr the parent reads through one pipe, as
// scripts/lab-report does.
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lab/common.hpp"
#include "lab/lab.hpp"
#include "tests/support/run.hpp"

using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

struct Child {
  int status = 0;
  std::string out;  // stdout and stderr, interleaved
  double secs = 0;  // wall time to the end of the child
  bool crashed() const { return WIFEXITED(status) && WEXITSTATUS(status) == lab::detail::kCrashStatus; }
  std::string first_crash_line() const {
    for (auto at = out.find("\n"), from = std::string::size_type{0}; from < out.size();
         from = at + 1, at = out.find("\n", from)) {
      std::string l = out.substr(from, at == std::string::npos ? std::string::npos : at - from);
      if (contains(l, "fatal error: in") || contains(l, "lab: fatal:") || contains(l, "lab: interrupted")) return l;
      if (at == std::string::npos) break;
    }
    return "";
  }
};

// Runs body with labtest::run (seed 7, this test case's name) in a forked child.
Child run_in_child(std::function<void()> body) {
  int fds[2];
  BOOST_REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    setenv("LAB_SEED", "7", 1);
    labtest::run(std::move(body));
    std::fflush(nullptr);
    std::_Exit(0);  // after the run: libc's _Exit
  }
  close(fds[1]);
  Child c;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) c.out.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  waitpid(pid, &c.status, 0);
  c.secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Shown in the unit tests' output: the figures of the report.
  BOOST_TEST_MESSAGE(boost::unit_test::framework::current_test_case().p_name.get()
                     << " (" << lab::backend() << "): " << c.secs << " s: " << c.first_crash_line());
  return c;
}

// What every crash story holds.
void check_story(const Child& c, const std::string& what, const std::string& who) {
  BOOST_CHECK_MESSAGE(c.crashed(), "status " << c.status << "\n" << c.out);
  const std::string line = c.first_crash_line();
  BOOST_CHECK_MESSAGE(contains(line, "fatal error: in \"") && contains(line, what) && contains(line, who) &&
                          contains(line, "seed 7 (") && contains(line, " during test "),
                      line << "\n---\n" << c.out);
  BOOST_CHECK_MESSAGE(contains(line, std::string(lab::backend()) == "sim" ? "virtual t=" : "real time"), line);
  BOOST_CHECK_MESSAGE(contains(c.out, "lab: stack of " + who), c.out);
  BOOST_CHECK_MESSAGE(contains(c.out, "crash_test.cpp:"), "no frame of the faulting code:\n" << c.out);
  BOOST_CHECK_MESSAGE(contains(c.out, "lab:   failure it had recorded: recorded before"), c.out);
  BOOST_CHECK_MESSAGE(c.secs < 20, c.secs);
}

// A failure recorded before the crash, which the story must keep. The failure
// cancels the run, so the wait ends in lab::Killed once it is recorded, however
// late the failer runs on a loaded machine (a fixed short wait lost that race).
void record_a_failure() {
  lab::go("failer", [] { lab::fail("recorded before"); });
  lab::sleep_for(1h);
}

int* volatile g_nowhere = nullptr;
__attribute__((noinline)) void write_through(int* p) { *p = 1; }

}  // namespace

BOOST_AUTO_TEST_SUITE(crash_tests)

BOOST_AUTO_TEST_CASE(segfault_inAnActivity_tellsSignalActivityTimeSeedAndStack) {
  auto c = run_in_child([] {
    lab::go("crasher", [] {
      try {
        record_a_failure();
      } catch (const lab::Killed&) {
      }
      write_through(g_nowhere);
    });
    lab::sleep_for(1h);
  });
  check_story(c, "SIGSEGV", "activity 'crasher'");
  BOOST_CHECK_MESSAGE(contains(c.out, "write_through"), c.out);
}

BOOST_AUTO_TEST_CASE(abort_inAnActivity_tellsItsStory) {
  auto c = run_in_child([] {
    lab::go("aborter", [] {
      try {
        record_a_failure();
      } catch (const lab::Killed&) {
      }
      std::abort();
    });
    lab::sleep_for(1h);
  });
  check_story(c, "SIGABRT", "activity 'aborter'");
}

BOOST_AUTO_TEST_CASE(divisionByZero_tellsItsStory) {
  auto c = run_in_child([] {
    lab::go("divider", [] {
      try {
        record_a_failure();
      } catch (const lab::Killed&) {
      }
      volatile int numerator = 100, zero = 0;
      volatile int x = numerator / zero;
      (void)x;
    });
    lab::sleep_for(1h);
  });
  check_story(c, "SIGFPE (integer division by zero)", "activity 'divider'");
}

BOOST_AUTO_TEST_CASE(exitDuringTheRun_failsTheTestWithItsStatusAndActivity) {
  auto c = run_in_child([] {
    lab::go("quitter", [] {
      try {
        record_a_failure();
      } catch (const lab::Killed&) {
      }
      std::exit(0);
    });
    lab::sleep_for(1h);
  });
  check_story(c, "exit(0) called by", "activity 'quitter'");
}

BOOST_AUTO_TEST_CASE(underscoreExitDuringTheRun_failsTheTest) {
  auto c = run_in_child([] {
    lab::go("quitter", [] {
      try {
        record_a_failure();
      } catch (const lab::Killed&) {
      }
      std::_Exit(3);
    });
    lab::sleep_for(1h);
  });
  check_story(c, "_Exit(3) called by", "activity 'quitter'");
}

BOOST_AUTO_TEST_CASE(quickExitDuringTheRun_failsTheTest) {
  auto c = run_in_child([] {
    lab::go("quitter", [] {
      try {
        record_a_failure();
      } catch (const lab::Killed&) {
      }
      std::quick_exit(1);
    });
    lab::sleep_for(1h);
  });
  check_story(c, "quick_exit(1) called by", "activity 'quitter'");
}

#ifdef LAB_SIM
// A libc guard's abort (a real sleep on the simulation thread): its own
// message as the test's failure, the seed and the sleeper's stack.
BOOST_AUTO_TEST_CASE(realSleepOnTheSimulationThread_tellsTheGuardsMessageAsTheFailure) {
  auto c = run_in_child([] {
    lab::go("sleeper", [] { std::this_thread::sleep_for(1ms); });
    lab::sleep_for(1h);
  });
  BOOST_CHECK_MESSAGE(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT, c.status << "\n" << c.out);
  BOOST_CHECK_MESSAGE(contains(c.out, "fatal error: in \"crash_tests/realSleepOnTheSimulationThread_tellsTheGuardsMessageAsTheFailure\": lab: nanosleep"), c.out);
  BOOST_CHECK_MESSAGE(contains(c.out, "activity 'sleeper'"), c.out);
  BOOST_CHECK_MESSAGE(contains(c.out, "lab: in progress: the run of seed 7"), c.out);
  BOOST_CHECK_MESSAGE(contains(c.out, "lab: stack of activity 'sleeper'"), c.out);
  BOOST_CHECK_MESSAGE(contains(c.out, "crash_test.cpp:"), c.out);
}
#endif

// Ctrl-C: the seed line and the running test, then the end SIGINT gives.
BOOST_AUTO_TEST_CASE(sigint_printsTheSeedAndTheRunningTest) {
  auto c = run_in_child([] {
    lab::go("interrupted", [] { raise(SIGINT); });
    lab::sleep_for(1h);
  });
  BOOST_CHECK_MESSAGE(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGINT, c.status << "\n" << c.out);
  BOOST_CHECK_MESSAGE(contains(c.out, "lab: interrupted (SIGINT) during test crash_tests/sigint_printsTheSeedAndTheRunningTest; seed 7 ("),
                      c.out);
  // Only the simulation replays a run from its seed; both lines say which.
  const std::string seed_words = std::string(lab::backend()) == "sim"
                                     ? "seed 7 (sim backend): LAB_SEED=7 replays this run"
                                     : "seed 7 (real backend): real time: the seed fixes random choices, not the schedule";
  BOOST_CHECK_MESSAGE(contains(c.out, "; " + seed_words), c.out);
  BOOST_CHECK_MESSAGE(c.out.starts_with(seed_words + "\n"), c.out);
}

// An uncaught exception ends the test as failed (no crash): its type, what()
// and the activity.
BOOST_AUTO_TEST_CASE(uncaughtException_namesTypeWhatAndActivity) {
  auto r = labtest::run([] {
    lab::go("thrower", [] { throw std::out_of_range("index 9 past the end"); });
    lab::sleep_for(1h);
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Failed);
  bool found = false;
  for (const auto& f : r.failures)
    found = found || contains(f, "uncaught exception std::out_of_range: index 9 past the end (activity 'thrower'");
  BOOST_CHECK_MESSAGE(found, r.summary());
  auto r2 = labtest::run([] {
    lab::go("thrower", [] { throw 42; });
    lab::sleep_for(1h);
  });
  found = false;
  for (const auto& f : r2.failures) found = found || contains(f, "uncaught exception int (not a std::exception)");
  BOOST_CHECK_MESSAGE(found, r2.summary());
}

// After the run, exit and its kin are libc's: no story. (quick_exit: a forked
// child's static destructors may wait on threads it does not have.)
BOOST_AUTO_TEST_CASE(exitAfterTheRun_isPlainExit) {
  std::fflush(nullptr);
  pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    lab::Options o;
    lab::run(o, [] {});
    std::quick_exit(5);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  BOOST_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5);
}

BOOST_AUTO_TEST_SUITE_END()
