// Unit tests of the simulation backend only: virtual time, determinism, and
// misuse that must end in a clear abort rather than a hang. Compiled into both
// unit_tests binaries; empty in the real one.
//
// The misuse scenarios abort the process by design, so each runs in a forked
// child whose stderr the parent reads through a pipe.
#ifdef LAB_SIM

#include <boost/fiber/operations.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "tests/support/run.hpp"

using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

bool failure_contains(const lab::Result& r, const std::string& needle) {
  for (const auto& f : r.failures)
    if (contains(f, needle)) return true;
  return false;
}

struct Child {
  int status = 0;
  std::string err;  // everything the child wrote to stderr
  bool abnormal() const { return WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0); }
  bool aborted() const { return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT; }
};

// Runs body inside lab::run in a forked child, with `env` set there; its
// stderr is read from `read_after` on.
Child run_in_child(std::function<void()> body, std::vector<std::pair<const char*, const char*>> env = {},
                   std::chrono::milliseconds read_after = std::chrono::milliseconds(0)) {
  int fds[2];
  BOOST_REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);
  pid_t pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    signal(SIGABRT, SIG_DFL);  // not Boost.Test's handler: die as the user would see it
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    setenv("LAB_WATCHDOG_MS", "1000", 1);
    for (auto& [k, v] : env) setenv(k, v, 1);
    lab::Options o;
    o.seed = 1;
    lab::run(o, std::move(body));
    _exit(0);
  }
  close(fds[1]);
  std::this_thread::sleep_for(read_after);
  Child c;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) c.err.append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  waitpid(pid, &c.status, 0);
  return c;
}

// Many activities, random sleeps, a mutex and channels; every step traces.
void busy_body() {
  constexpr int kWorkers = 12;
  lab::Mutex mu;
  int counter = 0;
  lab::Chan<int> work(0, "work");
  lab::Chan<int> done(kWorkers + 1, "done");
  lab::go("consumer", [&] {
    while (auto v = work.recv()) {
      lab::MutexLock lk(mu);
      counter += *v;
      lab::trace("consumer got " + std::to_string(*v) + " counter=" + std::to_string(counter) +
                 " t=" + lab::time_string());
    }
    done.send(-1);
  });
  for (int w = 0; w < kWorkers; w++) {
    lab::go("worker" + std::to_string(w), [&, w] {
      for (int i = 0; i < 20; i++) {
        lab::sleep_for(std::chrono::milliseconds(lab::rand_intn(50)));
        {
          lab::MutexLock lk(mu);
          ++counter;
          lab::trace(lab::activity_name() + " step " + std::to_string(i) + " counter=" +
                     std::to_string(counter) + " t=" + lab::time_string());
        }
        work.send(w * 100 + i);
      }
      done.send(w);
    });
  }
  for (int w = 0; w < kWorkers; w++) done.recv();
  work.close();
  done.recv();  // the consumer has drained the channel
}

lab::Result busy_workload(std::uint64_t seed) {
  lab::Options o;
  o.seed = seed;
  return lab::run(o, busy_body);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Sim)

// --- virtual time ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sleep_for_oneHour_costsNoRealTime) {
  lab::Options o;
  o.time_limit = 2h;
  auto wall = std::chrono::steady_clock::now();
  auto r = labtest::run(
      [] {
        lab::sleep_for(1h);
        // Timers fire 1 ns late, as real ones fire a little late.
        LAB_CHECK(lab::now() == 1h + 1ns, "now() is " << lab::now().count() << " ns after sleeping 1 h");
      },
      o);
  LAB_REQUIRE_PASSED(r);
  BOOST_CHECK(r.elapsed == 1h + 1ns);
  BOOST_CHECK(std::chrono::steady_clock::now() - wall < 1s);
}

BOOST_AUTO_TEST_CASE(after_timers_fireInDeadlineOrderAndTiesInCallOrder) {
  auto r = labtest::run([] {
    lab::Mutex mu;
    std::vector<std::string> fired;
    auto note = [&] {
      lab::MutexLock lk(mu);
      fired.push_back(lab::activity_name() + "@" + lab::time_string());
    };
    lab::after(30ms, note);  // after#1
    lab::after(10ms, note);  // after#2
    lab::after(20ms, note);  // after#3
    lab::after(20ms, note);  // after#4: same deadline, started after after#3
    lab::sleep_for(1s);
    lab::MutexLock lk(mu);
    LAB_CHECK(fired.size() == 4, fired.size() << " timers fired");
    LAB_CHECK(fired[0] == "after#2@0.010000", fired[0]);
    LAB_CHECK(fired[3] == "after#1@0.030000", fired[3]);
    LAB_CHECK(contains(fired[1] + fired[2], "after#3@0.020000") && contains(fired[1] + fired[2], "after#4@0.020000"),
              fired[1] << " " << fired[2]);
  });
  LAB_REQUIRE_PASSED(r);
  BOOST_CHECK_EQUAL(r.spawned, 5u);  // ids are given in firing order: after#3 before after#4
}

BOOST_AUTO_TEST_CASE(sleep_for_wakesInDeadlineOrder) {
  auto r = labtest::run([] {
    lab::Chan<int> order(8);
    for (int ms : {40, 10, 30, 20}) lab::go("sleeper", [&, ms] {
        lab::sleep_for(std::chrono::milliseconds(ms));
        order.send(ms);
      });
    for (int want : {10, 20, 30, 40}) {
      int got = *order.recv();
      LAB_CHECK(got == want, "woke " << got << " ms sleeper, expected " << want);
    }
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(yield_spinOnFlag_letsVirtualTimePass) {
  auto r = labtest::run([] {
    bool flag = false;
    lab::after(250ms, [&] { flag = true; });
    std::uint64_t spins = 0;
    while (!flag) {
      lab::yield();
      ++spins;
    }
    LAB_CHECK(lab::now() == 250ms + 1ns, "flag seen at " << lab::now().count() << " ns");
    LAB_CHECK(spins >= 1, "never yielded");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(run_deadlock_reportsWhoWaitsOnWhat) {
  auto r = labtest::run([] {
    auto ping = std::make_shared<lab::Chan<int>>(0, "ping");
    auto pong = std::make_shared<lab::Chan<int>>(0, "pong");
    auto mu = std::make_shared<lab::Mutex>();
    lab::go("pong", [=] { pong->send(*ping->recv()); });  // nobody sends on ping
    lab::go("holder", [=] {
      lab::MutexLock lk(*mu);
      ping->recv();
    });
    lab::go("locker", [=] {
      lab::sleep_for(50ms);
      lab::MutexLock lk(*mu);
    });
    lab::sleep_for(100ms);
    pong->recv();
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Deadlock);
  BOOST_CHECK_MESSAGE(failure_contains(r, "deadlock at t=0.100000: all activities blocked, no timer pending:\n"
                                          "    'root' (#1) blocked in Chan::recv on pong (CondVar::wait)\n"
                                          "    'pong' (#2) blocked in Chan::recv on ping (CondVar::wait)\n"
                                          "    'holder' (#3) blocked in Chan::recv on ping (CondVar::wait)\n"
                                          "    'locker' (#4) blocked in Mutex::lock"),
                      r.summary());
  BOOST_CHECK_EQUAL(r.stuck, 0u);
  BOOST_CHECK(r.elapsed == 100ms + 1ns);
}

BOOST_AUTO_TEST_CASE(run_timeLimit_stopsTheVirtualClockAtTheLimit) {
  lab::Options o;
  o.time_limit = 2s;
  auto wall = std::chrono::steady_clock::now();
  auto r = labtest::run(
      [] {
        for (;;) lab::sleep_for(300ms);
      },
      o);
  BOOST_CHECK(r.outcome == lab::Outcome::TimeLimit);
  BOOST_CHECK_MESSAGE(failure_contains(r, "time limit of 2.000000 s exceeded; activities still alive:\n"
                                          "    'root' (#1) blocked in sleep_for"),
                      r.summary());
  BOOST_CHECK(r.elapsed == 2s);
  BOOST_CHECK(std::chrono::steady_clock::now() - wall < 1s);
}

BOOST_AUTO_TEST_CASE(after_pastTheEndOfTheRun_isDropped) {
  auto r = labtest::run([] {
    lab::after(1h, [] { lab::fail("a timer past the end of the run fired"); });
    lab::sleep_for(1ms);
  });
  LAB_REQUIRE_PASSED(r);
  BOOST_CHECK(r.elapsed == 1ms + 1ns);
  BOOST_CHECK_EQUAL(r.spawned, 1u);
}

// --- determinism -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(run_sameSeed_sameTrace) {
  auto a = busy_workload(7), b = busy_workload(7);
  LAB_REQUIRE_PASSED(a);
  LAB_REQUIRE_PASSED(b);
  BOOST_CHECK_EQUAL(a.trace_lines, 12u * 20u * 2u);
  BOOST_CHECK_EQUAL(a.trace_lines, b.trace_lines);
  BOOST_CHECK_EQUAL(a.trace_hash, b.trace_hash);
  BOOST_CHECK(a.elapsed == b.elapsed);
  BOOST_CHECK_EQUAL(a.spawned, b.spawned);
}

BOOST_AUTO_TEST_CASE(run_differentSeeds_differentTraces) {
  auto a = busy_workload(7), b = busy_workload(8);
  LAB_REQUIRE_PASSED(a);
  LAB_REQUIRE_PASSED(b);
  BOOST_CHECK_NE(a.trace_hash, b.trace_hash);
}

// The seed comes from LAB_SEED: scripts/determinism-check runs this test.
BOOST_AUTO_TEST_CASE(run_busyWorkload_traceFollowsTheSeed) {
  auto r = labtest::run(busy_body);
  LAB_REQUIRE_PASSED(r);
  BOOST_CHECK_EQUAL(r.trace_lines, 12u * 20u * 2u);
}

// --- misuse ends in abort() with a message ------------------------------------------
// These cases use std primitives on purpose, each in a forked child: they are
// the misuse the guards and the watchdog must catch.

BOOST_AUTO_TEST_CASE(guard_contendedStdMutex_aborts) {
  auto c = run_in_child([] {
    static std::mutex m;
    lab::go("holder", [] {
      std::lock_guard lk(m);
      lab::sleep_for(10ms);
    });
    lab::go("b", [] {
      lab::sleep_for(1ms);
      std::lock_guard lk(m);
    });
    lab::sleep_for(1h);
  });
  BOOST_CHECK(c.aborted());
  BOOST_CHECK_MESSAGE(contains(c.err, "pthread_mutex_lock on a mutex held elsewhere (contended std::mutex?)"), c.err);
  BOOST_CHECK_MESSAGE(contains(c.err, "activity 'b', virtual t=0.001000"), c.err);
}

BOOST_AUTO_TEST_CASE(guard_stdSleep_aborts) {
  auto c = run_in_child([] {
    lab::go("sleeper", [] {
      lab::sleep_for(5ms);
      std::this_thread::sleep_for(5s);
    });
    lab::sleep_for(1h);
  });
  BOOST_CHECK(c.aborted());
  BOOST_CHECK_MESSAGE(contains(c.err, "nanosleep (std::this_thread::sleep_for?)"), c.err);
  BOOST_CHECK_MESSAGE(contains(c.err, "activity 'sleeper', virtual t=0.005000"), c.err);
  // Every abort names the run it ends, by its seed.
  BOOST_CHECK_MESSAGE(contains(c.err, "lab: in progress: the run of seed 1 (sim backend; LAB_SEED=1 replays it)"),
                      c.err);
  BOOST_CHECK_MESSAGE(contains(c.err, "lab:   it had recorded no failure"), c.err);
}

BOOST_AUTO_TEST_CASE(guard_stdConditionVariableWaitFor_aborts) {
  auto c = run_in_child([] {
    lab::go("waiter", [] {
      lab::sleep_for(2ms);
      std::mutex m;
      std::condition_variable cv;
      std::unique_lock lk(m);
      cv.wait_for(lk, 3s);
    });
    lab::sleep_for(1h);
  });
  BOOST_CHECK(c.aborted());
  BOOST_CHECK_MESSAGE(contains(c.err, "(std::condition_variable::wait_for?)"), c.err);
  BOOST_CHECK_MESSAGE(contains(c.err, "activity 'waiter', virtual t=0.002000"), c.err);
}

BOOST_AUTO_TEST_CASE(guard_boostFiberSleep_aborts) {
  auto c = run_in_child([] {
    lab::go("napper", [] {
      lab::sleep_for(3ms);
      boost::this_fiber::sleep_for(1s);
    });
    lab::sleep_for(1h);
  });
  BOOST_CHECK(c.aborted());
  BOOST_CHECK_MESSAGE(contains(c.err, "a Boost.Fiber timed operation"), c.err);
  BOOST_CHECK_MESSAGE(contains(c.err, "activity 'napper', virtual t=0.003000"), c.err);
}

BOOST_AUTO_TEST_CASE(watchdog_busyLoop_abortsAsSpinning) {
  auto wall = std::chrono::steady_clock::now();
  auto c = run_in_child([] {
    lab::go("spinner", [] {
      lab::sleep_for(2ms);
      volatile bool flag = false;
      while (!flag) {
      }
    });
    lab::sleep_for(1h);
  });
  BOOST_CHECK(c.aborted());
  BOOST_CHECK_MESSAGE(contains(c.err, "WATCHDOG"), c.err);
  BOOST_CHECK_MESSAGE(contains(c.err, "SPINNING without blocking or yielding"), c.err);
  BOOST_CHECK_MESSAGE(contains(c.err, "activity 'spinner' (#2) at virtual t=0.002000"), c.err);
  // The watchdog counts only the time the spinner had a CPU: on a loaded
  // machine its second takes longer than a second of wall time.
  BOOST_CHECK(std::chrono::steady_clock::now() - wall < 30s);
}

// A run whose output waits for its reader (a paused pager, a slow disk) is
// held up by the machine, not stuck: the watchdog does not count that time.
BOOST_AUTO_TEST_CASE(watchdog_outputToAPipeNobodyReadsYet_isNoStall) {
  auto c = run_in_child(
      [] {
        const std::string line = std::string(999, 'x') + "\n";
        for (int i = 0; i < 1000; i++) std::fputs(line.c_str(), stderr);  // 1 MB: the pipe holds 64 kB
      },
      {}, std::chrono::milliseconds(2500));
  BOOST_CHECK_MESSAGE(!c.abnormal() && !contains(c.err, "WATCHDOG"),
                      "status " << c.status << ": " << c.err.substr(c.err.rfind('x') + 1));
  BOOST_CHECK_EQUAL(c.err.size(), 1000u * 1000u);
}

// A failure recorded before the process ends is printed, not lost: here an
// activity that swallows lab::Killed then spins, which nothing can stop.
BOOST_AUTO_TEST_CASE(watchdog_abortAfterAFailure_printsTheRecordedFailure) {
  auto c = run_in_child([] {
    lab::go("spinner", [] {
      try {
        lab::sleep_for(1h);
      } catch (...) {  // wrong: swallows lab::Killed
        volatile bool flag = false;
        while (!flag) {
        }
      }
    });
    lab::sleep_for(3ms);
    lab::fail("the real failure");
  });
  BOOST_CHECK(c.aborted());
  BOOST_CHECK_MESSAGE(contains(c.err, "WATCHDOG"), c.err);
  BOOST_CHECK_MESSAGE(contains(c.err, "lab:   failure it had recorded: the real failure (activity 'root', t=0.003000)"),
                      c.err);
}

BOOST_AUTO_TEST_CASE(watchdog_blockedInOsWithoutGuards_abortsAsBlocked) {
  auto c = run_in_child(
      [] {
        lab::go("sleeper", [] {
          lab::sleep_for(4ms);
          std::this_thread::sleep_for(5s);
        });
        lab::sleep_for(1h);
      },
      {{"LAB_NO_GUARD", "1"}});
  BOOST_CHECK(c.aborted());
  BOOST_CHECK_MESSAGE(contains(c.err, "BLOCKED inside the OS"), c.err);
  BOOST_CHECK_MESSAGE(contains(c.err, "activity 'sleeper' (#2) at virtual t=0.004000"), c.err);
}

BOOST_AUTO_TEST_CASE(guard_labCallFromForeignThread_aborts) {
  auto c = run_in_child([] {
    std::thread t([] { lab::sleep_for(1ms); });
    t.join();
  });
  BOOST_CHECK(c.aborted());
  BOOST_CHECK_MESSAGE(contains(c.err, "lab:: primitive used outside a running simulation (wrong OS thread?)"), c.err);
}

// --- AddressSanitizer sees inside fibers -----------------------------------------------

#if defined(__SANITIZE_ADDRESS__)
#define LAB_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LAB_TEST_ASAN 1
#endif
#endif

#ifdef LAB_TEST_ASAN
BOOST_AUTO_TEST_CASE(asan_heapUseAfterFreeInFiber_isReported) {
  auto c = run_in_child([] {
    lab::go("culprit", [] {
      int* volatile p = new int(42);
      delete p;
      lab::sleep_for(1ms);
      lab::trace(std::to_string(*p));
    });
    lab::sleep_for(1h);
  });
  BOOST_CHECK(c.abnormal());
  BOOST_CHECK_MESSAGE(contains(c.err, "heap-use-after-free"), c.err);
}
#endif

BOOST_AUTO_TEST_SUITE_END()

#endif  // LAB_SIM
