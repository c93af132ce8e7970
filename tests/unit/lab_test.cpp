// Unit tests of the lab:: runtime. They hold in both backends: time bounds are
// lower bounds or generous upper bounds, so a loaded machine cannot fail them.
#define BOOST_TEST_MODULE lab unit tests
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>
#include <vector>

#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "tests/support/run.hpp"

using namespace std::chrono_literals;

namespace {

bool contains(const lab::Result& r, const std::string& needle) {
  for (const auto& f : r.failures)
    if (f.find(needle) != std::string::npos) return true;
  return false;
}

// Counts live instances, so a test can see that cancelled activities released
// what they held.
struct Tracked {
  static inline std::atomic<int> live{0};
  Tracked() { ++live; }
  ~Tracked() { --live; }
  Tracked(const Tracked&) = delete;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(Runtime)

BOOST_AUTO_TEST_CASE(go_runsActivitiesConcurrently) {
  auto r = labtest::run([] {
    lab::Chan<int> ping, pong;
    lab::ShutdownGuard guard;  // ends "echo" before ping and pong die
    lab::go("echo", [&] {
      for (int i = 0; i < 100; i++) pong.send(*ping.recv() + 1);
    });
    for (int i = 0; i < 100; i++) {
      ping.send(i);
      int v = *pong.recv();
      LAB_CHECK(v == i + 1, "echo returned " << v << " for " << i);
    }
  });
  LAB_REQUIRE_PASSED(r);
  BOOST_CHECK_EQUAL(r.spawned, 2u);
}

BOOST_AUTO_TEST_CASE(sleep_for_advancesNow) {
  auto r = labtest::run([] {
    auto t0 = lab::now();
    lab::sleep_for(50ms);
    auto slept = lab::now() - t0;
    LAB_CHECK(slept >= 50ms, "slept only " << slept.count() << " ns");
    LAB_CHECK(slept < 5s, "slept " << slept.count() << " ns");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(after_firesInDeadlineOrder) {
  auto r = labtest::run([] {
    lab::Mutex mu;
    std::vector<int> order;
    lab::ShutdownGuard guard;
    auto push = [&](int v) {
      return [&, v] {
        lab::MutexLock lk(mu);
        order.push_back(v);
      };
    };
    // 100 ms apart: in real time a preempted timer thread keeps the order.
    lab::after(210ms, push(3));
    lab::after(10ms, push(1));
    lab::after(110ms, push(2));
    lab::sleep_for(400ms);
    lab::MutexLock lk(mu);
    LAB_CHECK((order == std::vector<int>{1, 2, 3}), "timers fired out of order");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(after_callbackMayBlock) {
  auto r = labtest::run([] {
    lab::Chan<int> ch;
    lab::ShutdownGuard guard;
    lab::after(10ms, [&] { ch.send(7); });  // blocks until the root receives
    lab::sleep_for(30ms);
    auto v = ch.recv();
    LAB_CHECK(v && *v == 7, "after() callback did not deliver");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Mutex_excludesOtherActivities) {
  auto r = labtest::run([] {
    lab::Mutex mu;
    int inside = 0, total = 0;
    lab::Chan<int> done(8);
    lab::ShutdownGuard guard;
    for (int a = 0; a < 4; a++) {
      lab::go("worker", [&] {
        for (int i = 0; i < 200; i++) {
          lab::MutexLock lk(mu);
          ++inside;
          LAB_CHECK(inside == 1, inside << " activities inside the mutex");
          if (i % 50 == 0) lab::yield();
          ++total;
          --inside;
        }
        done.send(1);
      });
    }
    for (int a = 0; a < 4; a++) done.recv();
    lab::MutexLock lk(mu);
    LAB_CHECK(total == 800, "total " << total);
  });
  LAB_REQUIRE_PASSED(r);
}

// Clang's -Wthread-safety rejects these two misuses at compile time (make
// tsa); the runtime check is for builds without it.
BOOST_AUTO_TEST_CASE(Mutex_recursiveLock_failsWithMessage) {
  auto r = labtest::run([]() LAB_NO_TSA {
    lab::Mutex mu;
    mu.lock();
    mu.lock();  // not recursive: fails the run instead of deadlocking
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "lab::Mutex locked twice by the same activity"), r.summary());
}

BOOST_AUTO_TEST_CASE(Mutex_unlockByNonOwner_failsWithMessage) {
  auto r = labtest::run([]() LAB_NO_TSA {
    lab::Mutex mu;
    mu.unlock();
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "unlocked by an activity that does not hold it"), r.summary());
}

BOOST_AUTO_TEST_CASE(CondVar_notifyWakesWaiter) {
  auto r = labtest::run([] {
    lab::Mutex mu;
    lab::CondVar cv;
    bool ready = false;
    lab::ShutdownGuard guard;
    lab::go("notifier", [&] {
      lab::sleep_for(20ms);
      lab::MutexLock lk(mu);
      ready = true;
      cv.notify_all();
    });
    lab::MutexLock lk(mu);
    cv.wait(mu, [&] { return ready; });
    LAB_CHECK(lab::now() >= 20ms, "woke before the notify");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(CondVar_waitFor_timesOut) {
  auto r = labtest::run([] {
    lab::Mutex mu;
    lab::CondVar cv;
    lab::MutexLock lk(mu);
    auto t0 = lab::now();
    bool got = cv.wait_for(mu, 30ms, [] { return false; });
    LAB_CHECK(!got, "predicate reported true");
    LAB_CHECK(lab::now() - t0 >= 30ms, "timed out early");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Chan_unbufferedSend_returnsOnlyAfterReceive) {
  auto r = labtest::run([] {
    lab::Chan<int> ch;
    lab::Duration sent_at{};
    lab::Chan<int> done;
    lab::ShutdownGuard guard;
    lab::go("sender", [&] {
      ch.send(1);
      sent_at = lab::now();
      done.send(0);
    });
    lab::sleep_for(50ms);
    auto v = ch.recv();
    done.recv();
    LAB_CHECK(v && *v == 1, "wrong value");
    LAB_CHECK(sent_at >= 50ms, "send returned before the receive, at " << sent_at.count() << " ns");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Chan_buffered_sendDoesNotBlockUntilFull) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(2);
    ch.send(1);
    ch.send(2);
    auto third = lab::now();
    lab::ShutdownGuard guard;
    lab::go("reader", [&] {
      lab::sleep_for(20ms);
      ch.recv();
    });
    ch.send(3);  // blocks until the reader makes room
    LAB_CHECK(lab::now() - third >= 20ms, "third send did not wait for room");
    LAB_CHECK(*ch.recv() == 2 && *ch.recv() == 3, "values out of order");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Chan_recvFor_timesOut) {
  auto r = labtest::run([] {
    lab::Chan<int> ch;
    auto t0 = lab::now();
    auto v = ch.recv_for(40ms);
    LAB_CHECK(!v, "received from an empty channel");
    LAB_CHECK(lab::now() - t0 >= 40ms, "timed out early");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Chan_closed_recvDrainsThenEnds) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(4);
    ch.send(1);
    ch.close();
    auto a = ch.recv();
    auto b = ch.recv();
    LAB_CHECK(a && *a == 1, "buffered value lost on close");
    LAB_CHECK(!b, "recv on a closed, drained channel returned a value");
    LAB_CHECK(ch.closed(), "closed() is false");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Chan_sendOnClosed_failsWithMessage) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "applyCh");
    ch.close();
    ch.send(1);
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "send on closed channel applyCh"), r.summary());
  BOOST_CHECK_MESSAGE(contains(r, "activity 'root'"), r.summary());
}

BOOST_AUTO_TEST_CASE(Chan_closeWhileSenderBlocked_failsSender) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "c");
    lab::ShutdownGuard guard;
    lab::go("sender", [&] { ch.send(1); });
    labtest::await_blocked("sender", "Chan::send");
    ch.close();
    lab::sleep_for(10ms);
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "closed while the sender waited"), r.summary());
  BOOST_CHECK_MESSAGE(contains(r, "activity 'sender'"), r.summary());
}

BOOST_AUTO_TEST_CASE(Chan_doubleClose_failsWithMessage) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "c");
    ch.close();
    ch.close();
  });
  BOOST_CHECK_MESSAGE(contains(r, "close of closed channel c"), r.summary());
}

// When the root returns, everything still blocked is cancelled and joined:
// one activity blocked in each primitive, each holding a Tracked object.
BOOST_AUTO_TEST_CASE(run_cancelsActivitiesBlockedInEveryPrimitive) {
  Tracked::live = 0;
  auto r = labtest::run([] {
    auto mu = std::make_shared<lab::Mutex>();
    auto cv = std::make_shared<lab::CondVar>();
    auto ch = std::make_shared<lab::Chan<int>>();     // nobody receives
    auto empty = std::make_shared<lab::Chan<int>>();  // nobody sends
    lab::go("sleeper", [t = std::make_shared<Tracked>()] { lab::sleep_for(std::chrono::hours(1)); });
    lab::go("lock-holder", [mu, t = std::make_shared<Tracked>()] {
      lab::MutexLock lk(*mu);
      lab::sleep_for(std::chrono::hours(1));
    });
    lab::go("waiter", [mu, cv, t = std::make_shared<Tracked>()] {
      lab::MutexLock lk(*mu);
      cv->wait(*mu);
    });
    lab::go("timed-waiter", [cv, t = std::make_shared<Tracked>()] {
      lab::Mutex m;
      lab::MutexLock lk(m);
      cv->wait_for(m, std::chrono::hours(2));
    });
    lab::go("receiver", [empty, t = std::make_shared<Tracked>()] { empty->recv(); });
    lab::go("sender", [ch, t = std::make_shared<Tracked>()] { ch->send(1); });
    lab::after(std::chrono::hours(5), [t = std::make_shared<Tracked>()] {});
    lab::sleep_for(20ms);
    LAB_CHECK(Tracked::live == 7, "expected 7 tracked objects, have " << Tracked::live);
  });
  LAB_REQUIRE_PASSED(r);
  BOOST_CHECK_EQUAL(Tracked::live.load(), 0);
  BOOST_CHECK_EQUAL(r.stuck, 0u);
  BOOST_CHECK(r.elapsed < std::chrono::seconds(5));
}

BOOST_AUTO_TEST_CASE(shutdown_joinsOthersAndLetsCallerGoOn) {
  Tracked::live = 0;
  auto r = labtest::run([] {
    lab::go("sleeper", [t = std::make_shared<Tracked>()] { lab::sleep_for(std::chrono::hours(1)); });
    lab::after(std::chrono::hours(1), [t = std::make_shared<Tracked>()] {});
    lab::sleep_for(5ms);
    lab::shutdown();
    LAB_CHECK(Tracked::live == 0, Tracked::live << " objects still held after shutdown()");
    lab::sleep_for(1ms);  // the caller itself is not cancelled
    bool ran = false;
    lab::go("late", [&] { ran = true; });
    lab::sleep_for(5ms);
    LAB_CHECK(!ran, "an activity started after shutdown() ran");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(fail_inChildActivity_endsRunWithMessage) {
  auto r = labtest::run([] {
    lab::go("checker", [] {
      lab::sleep_for(10ms);
      lab::fail("commit index=3 server=1 101 != server=2 102");
    });
    lab::sleep_for(std::chrono::hours(1));  // cancelled by the failure
  });
  BOOST_CHECK(r.outcome == lab::Outcome::Failed);
  BOOST_CHECK_MESSAGE(contains(r, "commit index=3 server=1 101 != server=2 102 (activity 'checker', t="),
                      r.summary());
  BOOST_CHECK(r.elapsed < std::chrono::seconds(5));
}

BOOST_AUTO_TEST_CASE(run_uncaughtException_isReportedWithActivity) {
  auto r = labtest::run([] {
    lab::go("thrower", [] { throw std::runtime_error("boom"); });
    lab::sleep_for(std::chrono::hours(1));
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "uncaught exception std::runtime_error: boom (activity 'thrower'"), r.summary());
}

BOOST_AUTO_TEST_CASE(run_timeLimit_reportsWhoWaitsOnWhat) {
  lab::Options o;
  o.time_limit = 300ms;
  auto r = labtest::run(
      [] {
        lab::go("stuck-reader", [] {
          lab::Chan<int> never(0, "never");
          never.recv();
        });
        lab::sleep_for(std::chrono::hours(1));
      },
      o);
  BOOST_CHECK(r.outcome == lab::Outcome::TimeLimit);
  BOOST_CHECK_MESSAGE(contains(r, "time limit of 0.300000 s exceeded"), r.summary());
  BOOST_CHECK_MESSAGE(contains(r, "'stuck-reader' (#2) blocked in Chan::recv on never (CondVar::wait"), r.summary());
  BOOST_CHECK_MESSAGE(contains(r, "'root' (#1) blocked in sleep_for"), r.summary());
}

BOOST_AUTO_TEST_CASE(rand_sameSeed_sameSequence) {
  auto draw = [] {
    std::vector<std::int64_t> v;
    lab::Options o;
    o.seed = 42;
    auto r = lab::run(o, [&] {
      for (int i = 0; i < 20; i++) v.push_back(lab::rand_intn(1000));
    });
    BOOST_REQUIRE(r.ok());
    return v;
  };
  auto a = draw(), b = draw();
  BOOST_CHECK(a == b);
  for (auto x : a) BOOST_CHECK(x >= 0 && x < 1000);
}

#ifndef LAB_SIM
// Real threads cannot be forced to stop: an activity that swallows lab::Killed
// and blocks again is reported after the grace period, never waited for forever.
BOOST_AUTO_TEST_CASE(run_activityIgnoringCancellation_isReportedAsStuck) {
  lab::Options o;
  o.grace = 300ms;
  auto r = labtest::run(
      [] {
        lab::go("stubborn", [] {
          for (int i = 0; i < 2; i++) {
            try {
              lab::sleep_for(std::chrono::hours(1));
            } catch (...) {  // wrong: swallows lab::Killed
            }
          }
          // Deliberately blocks outside lab:: to show the report.
          std::this_thread::sleep_for(std::chrono::seconds(1));
        });
        lab::sleep_for(10ms);
      },
      o);
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_EQUAL(r.stuck, 1u);
  BOOST_CHECK_MESSAGE(contains(r, "1 activities did not end after the run was cancelled"), r.summary());
  BOOST_CHECK_MESSAGE(contains(r, "'stubborn'"), r.summary());
  // Outside the run (real backend only): lets the abandoned thread end before the next test.
  std::this_thread::sleep_for(std::chrono::seconds(1));
}
#endif

BOOST_AUTO_TEST_SUITE_END()
