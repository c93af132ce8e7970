// The runtime against the mistakes of the code it tests: loops that never
// let virtual time pass, retry loops around Call, cleanup code that blocks, a
// lab::Mutex held across a blocking call; and what the reports then say.
// In both backends unless a case says otherwise (the livelock of virtual
// time exists only in sim; its real-time twin is the time limit).
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lab/chan.hpp"
#include "lab/common.hpp"
#include "lab/lab.hpp"
#include "labrpc/labrpc.hpp"
#include "tests/support/run.hpp"

using namespace std::chrono_literals;

namespace {

const std::string kFile = "tests/unit/student_code_test.cpp";
std::string at(int line) { return kFile + ":" + std::to_string(line); }

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

bool failure_contains(const lab::Result& r, const std::string& needle) {
  for (const auto& f : r.failures)
    if (contains(f, needle)) return true;
  return false;
}

std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) n++;
  return n;
}

// Sets an environment variable for one scope.
class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    setenv(name, value, 1);
  }
  ~EnvVar() {
    if (had_)
      setenv(name_, old_.c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// What the process writes to stderr while fn runs (the runtime's warnings).
std::string capture_stderr(const std::function<void()>& fn) {
  std::fflush(stderr);
  char path[] = "/tmp/lab-stderr-XXXXXX";
  int fd = mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  unlink(path);
  int saved = dup(2);
  dup2(fd, 2);
  fn();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::string out;
  lseek(fd, 0, SEEK_SET);
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  close(fd);
  return out;
}

// An RPC server with one method, Echo.Echo, on a reliable network; the end
// "e" reaches it.
struct EchoServer {
  void Echo(const std::string& args, std::string* reply) { *reply = args; }
};

struct EchoNet {
  std::shared_ptr<labrpc::Network> net = labrpc::MakeNetwork();
  std::shared_ptr<labrpc::ClientEnd> e;
  EchoNet() {
    auto svc = std::make_shared<labrpc::Service>("Echo");
    svc->Handle("Echo", std::make_shared<EchoServer>(), &EchoServer::Echo);
    auto srv = std::make_shared<labrpc::Server>();
    srv->AddService(svc);
    net->AddServer("s", srv);
    e = net->MakeEnd("e");
    net->Connect("e", "s");
    net->Enable("e", true);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(StudentCode)

// --- names and reports ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(go_withoutName_isNamedAfterItsCallersLine) {
  auto r = labtest::run([] {
    lab::Chan<std::string> names(1);
    const int line = __LINE__ + 1;
    lab::go([&] { names.send(lab::activity_name()); });
    auto name = names.recv();
    LAB_CHECK(name && *name == "go@" + at(line), "the activity is named " << name.value_or("?"));
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(run_timeLimit_groupsIdenticalBlockedActivities) {
  lab::Options o;
  o.time_limit = 300ms;
  auto r = labtest::run(
      [] {
        auto never = std::make_shared<lab::Chan<int>>(0, "never");
        for (int i = 0; i < 5; i++) lab::go("reader", [never] { never->recv(); });
        lab::go("lone", [never] { never->recv(); });
        lab::sleep_for(1h);
      },
      o);
  BOOST_CHECK(r.outcome == lab::Outcome::TimeLimit);
  BOOST_CHECK_MESSAGE(failure_contains(r,
                                       "\n    'root' (#1) blocked in sleep_for\n"
                                       "    5 \u00d7 'reader' (#2, #3, #4, \u2026 #6) blocked in Chan::recv on never "
                                       "(CondVar::wait)\n"
                                       "    'lone' (#7) blocked in Chan::recv on never (CondVar::wait)"),
                      r.summary());
}

#ifndef LAB_SIM
// In real time a loop that never waits burns CPU until the time limit,
// whose report names it (in sim the same loop is a livelock, below).
BOOST_AUTO_TEST_CASE(run_timeLimit_namesTheBusiestActivity) {
  lab::Options o;
  o.time_limit = 300ms;
  int goLine = 0, yieldLine = 0;
  auto r = labtest::run(
      [&] {
        goLine = __LINE__ + 1;
        lab::go("spinner", [&] {
          yieldLine = __LINE__ + 1;
          for (;;) lab::yield();
        });
        lab::sleep_for(1h);
      },
      o);
  BOOST_CHECK(r.outcome == lab::Outcome::TimeLimit);
  BOOST_CHECK_MESSAGE(failure_contains(r, "busiest: 'spinner' (#2, started at " + at(goLine) + ") with "), r.summary());
  BOOST_CHECK_MESSAGE(failure_contains(r, "lab:: calls, the last yield at " + at(yieldLine)), r.summary());
}
#endif

// The abort paths print this before they end the process (a forked case
// in sim_test.cpp shows one); here the printing itself, in both backends.
BOOST_AUTO_TEST_CASE(abort_printsTheSeedAndTheRecordedFailuresOfRunsInProgress) {
  std::string err;
  lab::Options o;
  o.seed = 4242;
  auto r = lab::run(o, [&] {
    lab::go("failer", [] { lab::fail("recorded first"); });
    try {
      lab::sleep_for(1h);
    } catch (const lab::Killed&) {
      err = capture_stderr(lab::detail::print_runs);
      throw;
    }
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Failed);
  BOOST_CHECK_MESSAGE(contains(err, "lab: in progress: the run of seed 4242 ("), err);
#ifdef LAB_SIM
  BOOST_CHECK_MESSAGE(contains(err, "(sim backend; LAB_SEED=4242 replays it)"), err);
#endif
  BOOST_CHECK_MESSAGE(contains(err, "lab:   failure it had recorded: recorded first (activity 'failer'"), err);
}

// --- every lab:: call that may block is a cancellation point --------------------------

// A retry loop that ignores Call's result, running when the test ends: its
// next Call throws lab::Killed, before the network's Cleanup and after it
// (where Call fails at once, without waiting for anything).
BOOST_AUTO_TEST_CASE(Call_retryLoopWhenTheRunEnds_endsWithIt_beforeAndAfterCleanup) {
  for (bool cleanup : {false, true}) {
    lab::Options o;
    o.grace = 3s;
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto wall = std::chrono::steady_clock::now();
    auto r = labtest::run(
        [&] {
          EchoNet n;
          auto start = std::make_shared<lab::Chan<int>>(1);
          lab::go("retry loop", [e = n.e, start, calls] {
            start->recv();
            for (;;) {
              std::string reply;
              ++*calls;
              e->Call("Echo.Echo", std::string("x"), &reply);  // the result ignored
            }
          });
          lab::sleep_for(1ms);  // the loop waits in recv
          if (cleanup) n.net->Cleanup();
          start->send(1);
          // The root returns: the run cancels the loop.
        },
        o);
    BOOST_TEST_CONTEXT("cleanup " << cleanup) {
      LAB_REQUIRE_PASSED(r);
      BOOST_CHECK_EQUAL(r.stuck, 0u);
      BOOST_CHECK(std::chrono::steady_clock::now() - wall < 2s);
#ifdef LAB_SIM
      // The loop was woken before the cancellation, and its first Call threw.
      BOOST_CHECK_EQUAL(calls->load(), 1);
#endif
    }
  }
}

// --- cleanup code may block -------------------------------------------------------------

namespace {
// A peer whose Kill() waits for a signal nobody gives: a Go-style Kill that
// waits for its goroutines.
struct BlockingPeer {
  lab::Mutex mu;
  lab::CondVar cv;
  bool stopped LAB_GUARDED_BY(mu) = false;
  lab::Chan<int> quit{0, "quit"};
  int how = 0;
  void Kill() {
    switch (how) {
      case 0: {
        lab::MutexLock lk(mu);
        while (!stopped) cv.wait(mu);
        break;
      }
      case 1:
        quit.send(1);  // nobody receives
        break;
      default:
        lab::sleep_for(1h);
    }
  }
};

// What the tester does when a test ends: Kill every peer, as cleanup code.
struct KillAll {
  std::vector<std::shared_ptr<BlockingPeer>> peers;
  ~KillAll() {
    lab::CleanupScope scope;
    for (auto& p : peers) lab::cancellable([&] { p->Kill(); });
  }
};
}  // namespace

BOOST_AUTO_TEST_CASE(cancellable_blockingKillsInAFailedTestsCleanup_reportTheRealFailure) {
  auto r = labtest::run([] {
    KillAll k;
    for (int how : {0, 1, 2}) {
      k.peers.push_back(std::make_shared<BlockingPeer>());
      k.peers.back()->how = how;
    }
    lab::sleep_for(10ms);
    lab::fail("the real failure");
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Failed);
  BOOST_REQUIRE_EQUAL(r.failures.size(), 1u);
  BOOST_CHECK_MESSAGE(contains(r.failures[0], "the real failure (activity 'root'"), r.summary());
  BOOST_CHECK_EQUAL(r.stuck, 0u);
}

BOOST_AUTO_TEST_CASE(cancellable_passingTest_runsFnToTheEnd) {
  auto r = labtest::run([] {
    bool done = false;
    bool ok = lab::cancellable([&] {
      lab::sleep_for(5ms);
      done = true;
    });
    LAB_CHECK(ok && done, "cancellable returned " << ok << " with done " << done);
  });
  LAB_REQUIRE_PASSED(r);
}

namespace {
struct JoinState {
  lab::Mutex mu;
  lab::CondVar cv;
  bool done LAB_GUARDED_BY(mu) = false;
};
// Waits in its destructor until the worker says it ended: a destructor that
// joins what it started.
struct Joiner {
  std::shared_ptr<JoinState> st;
  ~Joiner() {
    lab::MutexLock lk(st->mu);
    while (!st->done) st->cv.wait(st->mu);
  }
};
// Says so from the worker's own cleanup.
struct SaysDone {
  std::shared_ptr<JoinState> st;
  ~SaysDone() {
    lab::MutexLock lk(st->mu);
    st->done = true;
    st->cv.notify_all();
  }
};
}  // namespace

// Destructors that run while lab::Killed unwinds may wait: the wait is not
// cut short, and ends when the other activity's cleanup signals it.
BOOST_AUTO_TEST_CASE(destructor_waitingWhileUnwinding_endsWhenTheWorkerHasEnded) {
  auto r = labtest::run([] {
    auto st = std::make_shared<JoinState>();
    lab::go("worker", [st] {
      SaysDone d{st};
      lab::sleep_for(1h);
    });
    Joiner j{st};
    lab::sleep_for(10ms);
    lab::fail("the real failure");
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Failed);
  BOOST_REQUIRE_EQUAL(r.failures.size(), 1u);
  BOOST_CHECK_MESSAGE(contains(r.failures[0], "the real failure (activity 'root'"), r.summary());
  BOOST_CHECK_EQUAL(r.stuck, 0u);
}

// One that waits for ever is abandoned after the grace, and reported after
// the real failure.
BOOST_AUTO_TEST_CASE(destructor_waitingForeverWhileUnwinding_isAbandonedAfterTheGrace) {
  lab::Options o;
  o.grace = 300ms;
  auto r = labtest::run(
      [] {
        auto st = std::make_shared<JoinState>();  // nobody says done
        Joiner j{st};
        lab::sleep_for(10ms);
        lab::fail("the real failure");
      },
      o);
  BOOST_CHECK(r.outcome == lab::Outcome::Failed);
  BOOST_REQUIRE_EQUAL(r.failures.size(), 2u);
  BOOST_CHECK_MESSAGE(contains(r.failures[0], "the real failure (activity 'root'"), r.summary());
  BOOST_CHECK_MESSAGE(contains(r.failures[1], "1 activities did not end after the run was cancelled"), r.summary());
  BOOST_CHECK_MESSAGE(contains(r.failures[1], "'root' (#1) blocked in CondVar::wait"), r.summary());
  BOOST_CHECK_EQUAL(r.stuck, 1u);
}

namespace {
struct SleepsWhenDestroyed {
  std::shared_ptr<std::atomic<bool>> slept;
  ~SleepsWhenDestroyed() {
    lab::sleep_for(5ms);
    *slept = true;
  }
};
}  // namespace

// What an activity captured dies at its end as cleanup code, also in a
// cancelled activity: a lab:: call there waits instead of throwing.
BOOST_AUTO_TEST_CASE(go_capturedStateWhoseDestructorWaits_diesAsCleanup) {
  auto slept = std::make_shared<std::atomic<bool>>(false);
  auto r = labtest::run([&] {
    lab::go("holder", [s = std::make_shared<SleepsWhenDestroyed>(SleepsWhenDestroyed{slept})] { lab::sleep_for(1h); });
    lab::sleep_for(1ms);
  });
  LAB_REQUIRE_PASSED(r);
  BOOST_CHECK(slept->load());
  BOOST_CHECK_EQUAL(r.stuck, 0u);
}

// In a CleanupScope, a cancelled activity's wait runs to its end.
BOOST_AUTO_TEST_CASE(CleanupScope_cancelledActivity_sleepsWithoutThrowing) {
  auto slept = std::make_shared<std::atomic<bool>>(false);
  auto threw = std::make_shared<std::atomic<bool>>(false);
  auto r = labtest::run([&] {
    auto ack = std::make_shared<lab::Chan<int>>(1);
    lab::go("cleaner", [ack, slept, threw] {
      ack->send(1);
      {
        lab::CleanupScope scope;
        lab::sleep_for(200ms);  // the run is cancelled meanwhile
        *slept = true;
      }
      try {
        lab::sleep_for(1ms);
      } catch (const lab::Killed&) {
        *threw = true;
        throw;
      }
    });
    ack->recv();
  });
  LAB_REQUIRE_PASSED(r);
  BOOST_CHECK(slept->load());
  BOOST_CHECK(threw->load());
  BOOST_CHECK(r.elapsed >= 200ms);
}

// --- a lab::Mutex held across a blocking call -------------------------------------------

BOOST_AUTO_TEST_CASE(sleep_forWhileHoldingMutex_warnsOnceWithBothSites) {
  int lockLine = 0, sleepLine = 0;
  lab::Result r;
  std::string err = capture_stderr([&] {
    r = labtest::run([&] {
      lab::Mutex mu;
      for (int i = 0; i < 3; i++) {
        lockLine = __LINE__ + 1;
        lab::MutexLock lk(mu);
        sleepLine = __LINE__ + 1;
        lab::sleep_for(1ms);
      }
    });
  });
  LAB_REQUIRE_PASSED(r);
  const std::string want = "lab: warning: lab::sleep_for at " + at(sleepLine) +
                           " while holding the lab::Mutex locked at " + at(lockLine) + " (activity 'root', t=";
  BOOST_CHECK_MESSAGE(count(err, want) == 1, err);
}

BOOST_AUTO_TEST_CASE(CondVar_waitOnTheMutexItReleases_isNotReported) {
  EnvVar strict("LAB_STRICT", "1");
  auto r = labtest::run([] {
    lab::Mutex mu;
    lab::CondVar cv;
    bool ready = false;
    lab::go("notifier", [&] {
      lab::sleep_for(1ms);
      lab::MutexLock lk(mu);
      ready = true;
      cv.notify_all();
    });
    lab::MutexLock lk(mu);
    cv.wait(mu, [&] { return ready; });
  });
  LAB_REQUIRE_PASSED(r);
}

// With LAB_STRICT=1 each of these fails the run, naming both sites.
BOOST_AUTO_TEST_CASE(Mutex_heldAcrossSendCallOrForeignWait_strictFailsNamingBothSites) {
  EnvVar strict("LAB_STRICT", "1");
  int lockLine = 0, callLine = 0;
  // A channel send that waits for its receiver.
  auto r1 = labtest::run([&] {
    lab::Mutex mu;
    auto out = std::make_shared<lab::Chan<int>>(0, "out");
    lab::go("receiver", [out] {
      lab::sleep_for(1ms);
      out->recv();
    });
    lockLine = __LINE__ + 1;
    lab::MutexLock lk(mu);
    out->send(1);
  });
  BOOST_CHECK(!r1.ok());
  BOOST_CHECK_MESSAGE(failure_contains(r1,
                                       "blocking with a lock held: Chan::send on out while holding the "
                                       "lab::Mutex locked at " +
                                           at(lockLine) + " (activity 'root'"),
                      r1.summary());
  // A labrpc Call.
  auto r2 = labtest::run([&] {
    EchoNet n;
    lab::Mutex mu;
    lockLine = __LINE__ + 1;
    lab::MutexLock lk(mu);
    std::string reply;
    callLine = __LINE__ + 1;
    n.e->Call("Echo.Echo", std::string("x"), &reply);
  });
  BOOST_CHECK(!r2.ok());
  BOOST_CHECK_MESSAGE(failure_contains(r2, "blocking with a lock held: labrpc Call at " + at(callLine) +
                                               " while holding the lab::Mutex locked at " + at(lockLine)),
                      r2.summary());
  // A CondVar wait on another mutex.
  auto r3 = labtest::run([&] {
    lab::Mutex outer, inner;
    lab::CondVar cv;
    lockLine = __LINE__ + 1;
    lab::MutexLock lk(outer);
    lab::MutexLock lk2(inner);
    callLine = __LINE__ + 1;
    cv.wait_for(inner, 1ms);
  });
  BOOST_CHECK(!r3.ok());
  BOOST_CHECK_MESSAGE(failure_contains(r3, "blocking with a lock held: CondVar::wait_until at " + at(callLine) +
                                               " while holding the lab::Mutex locked at " + at(lockLine)),
                      r3.summary());
}

// --- sim: virtual time that stands still ------------------------------------------------
#ifdef LAB_SIM

// Short limits for these cases: 300 ms of frozen virtual time, 1 s of no
// progress at all.
struct FastWatchdog {
  EnvVar frozen{"LAB_FROZEN_MS", "300"};
  EnvVar stall{"LAB_WATCHDOG_MS", "1000"};
};

BOOST_AUTO_TEST_CASE(watchdog_callRetryLoopOnReliableLink_failsAsLivelockNamingIt) {
  FastWatchdog fast;
  int goLine = 0, callLine = 0;
  auto wall = std::chrono::steady_clock::now();
  auto r = labtest::run([&] {
    EchoNet n;
    goLine = __LINE__ + 1;
    lab::go("retry loop", [e = n.e, &callLine] {
      for (;;) {
        std::string reply;
        callLine = __LINE__ + 1;
        e->Call("Echo.Echo", std::string("x"), &reply);  // never waits: the handler answers at once
      }
    });
    lab::sleep_for(1s);  // never comes: virtual time stands still
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Livelock);
  BOOST_CHECK_MESSAGE(failure_contains(r, "livelock at t=0.000000: virtual time stood still for "), r.summary());
  BOOST_CHECK_MESSAGE(failure_contains(r, "the busiest 'retry loop' (#2, started at " + at(goLine) + "): "),
                      r.summary());
  BOOST_CHECK_MESSAGE(failure_contains(r, "the last labrpc Call at " + at(callLine)), r.summary());
  BOOST_CHECK_EQUAL(r.stuck, 0u);
  BOOST_CHECK(std::chrono::steady_clock::now() - wall < 5s);
}

BOOST_AUTO_TEST_CASE(watchdog_pollingRecvFor0_failsAsLivelock) {
  FastWatchdog fast;
  auto r = labtest::run([] {
    auto polled = std::make_shared<lab::Chan<int>>(0, "polled");
    lab::go("poller", [polled] {
      for (;;) polled->recv_for(0ms);  // Go's select with a default case, polled
    });
    lab::sleep_for(1s);
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Livelock);
  BOOST_CHECK_MESSAGE(failure_contains(r, "the busiest 'poller' (#2"), r.summary());
  BOOST_CHECK_MESSAGE(failure_contains(r, "the last Chan::recv on polled"), r.summary());
  BOOST_CHECK_EQUAL(r.stuck, 0u);
}

BOOST_AUTO_TEST_CASE(watchdog_yieldLoopWithNothingToWaitFor_failsAsLivelock) {
  FastWatchdog fast;
  auto r = labtest::run([] {
    for (;;) lab::yield();  // no timer pending: yielding lets no time pass
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Livelock);
  BOOST_CHECK_MESSAGE(failure_contains(r, "the busiest 'root' (#1): "), r.summary());
}

// A loop that swallows lab::Killed goes on after the livelock's failure: it
// is parked for good, and the run ends with it abandoned.
BOOST_AUTO_TEST_CASE(watchdog_loopSwallowingKilled_isAbandonedAfterTheLivelock) {
  FastWatchdog fast;
  auto r = labtest::run([] {
    auto polled = std::make_shared<lab::Chan<int>>(0, "polled");
    lab::go("stubborn", [polled] {
      for (;;) {
        try {
          polled->recv_for(0ms);
        } catch (...) {  // wrong: swallows lab::Killed
        }
      }
    });
    lab::sleep_for(1s);
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Livelock);
  BOOST_CHECK_MESSAGE(failure_contains(r, "livelock at t=0.000000"), r.summary());
  BOOST_CHECK_MESSAGE(failure_contains(r, "'stubborn' (#2) parked for good"), r.summary());
  BOOST_CHECK_EQUAL(r.stuck, 1u);
}

// Busy at one instant, but not for long: no livelock.
BOOST_AUTO_TEST_CASE(watchdog_manyCallsAtOneInstant_areNoLivelock) {
  FastWatchdog fast;
  auto r = labtest::run([] {
    EchoNet n;
    for (int i = 0; i < 20000; i++) {
      std::string reply;
      LAB_CHECK(n.e->Call("Echo.Echo", std::string("x"), &reply) && reply == "x", "call " << i << " failed");
    }
    lab::sleep_for(1ms);
  });
  LAB_REQUIRE_PASSED(r);
}

#endif  // LAB_SIM

BOOST_AUTO_TEST_SUITE_END()
