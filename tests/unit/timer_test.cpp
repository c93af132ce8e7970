// Unit tests of lab::Timer and lab::Ticker (lab/timer.hpp). They hold in
// both backends: times are checked as lower bounds or generous upper bounds,
// and "has fired" is waited for rather than assumed after a fixed sleep. In
// sim the ticker's times are exact, and checked so.
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "lab/select.hpp"
#include "lab/timer.hpp"
#include "tests/support/run.hpp"

using namespace std::chrono_literals;

namespace {

bool contains(const lab::Result& r, const std::string& needle) {
  for (const auto& f : r.failures)
    if (f.find(needle) != std::string::npos) return true;
  return false;
}

// Sleeps until the timer's value is waiting in its channel (without taking it).
void awaitFired(lab::Chan<lab::Duration>& ch) {
  while (ch.len() == 0) lab::sleep_for(1ms);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Timers)

BOOST_AUTO_TEST_CASE(Timer_fires_afterItsDurationWithTheFireTime) {
  auto r = labtest::run([] {
    const auto t0 = lab::now();
    lab::Timer t(50ms, "t");
    auto at = t.C().recv();
    LAB_CHECK(at && *at >= t0 + 50ms, "fired at " << (at ? at->count() : -1) << " ns");
    LAB_CHECK(lab::now() >= t0 + 50ms, "received before the timer was due");
    LAB_CHECK(lab::now() - t0 < 5s, "fired late");
    LAB_CHECK(!t.Stop(), "Stop after the value was received returned true");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Timer_stopBeforeItFires_returnsTrueAndItNeverFires) {
  auto r = labtest::run([] {
    // Due far enough ahead that a preempted thread still stops it in time
    // (real time), and watched past its deadline.
    lab::Timer t(300ms, "t");
    LAB_CHECK(t.Stop(), "Stop of a pending timer returned false");
    LAB_CHECK(!t.Stop(), "a second Stop returned true");
    int i = lab::select(lab::recv(t.C()), lab::timeout(400ms));
    LAB_CHECK(i == 1, "a stopped timer fired");
  });
  LAB_REQUIRE_PASSED(r);
}

// Go 1.23: a value fired but not yet received is taken back by Stop, which
// then reports the timer as stopped in time.
BOOST_AUTO_TEST_CASE(Timer_stopAfterFiringUnreceived_returnsTrueAndDropsTheValue) {
  auto r = labtest::run([] {
    lab::Timer t(5ms, "t");
    awaitFired(t.C());
    LAB_CHECK(t.Stop(), "Stop with an unreceived value returned false");
    LAB_CHECK(t.C().len() == 0, "the stale value is still in the channel");
    LAB_CHECK(lab::select(lab::recv(t.C()), lab::timeout(50ms)) == 1, "received a value after Stop");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Timer_reset_postponesTheFiringAndReportsWhetherItWasActive) {
  auto r = labtest::run([] {
    lab::Timer t(500ms, "t");  // still pending after the sleep, however late it ends
    lab::sleep_for(20ms);
    const auto resetAt = lab::now();
    LAB_CHECK(t.Reset(60ms), "Reset of a pending timer returned false");
    auto at = t.C().recv();
    LAB_CHECK(*at >= resetAt + 60ms, "fired " << (*at - resetAt).count() << " ns after Reset, not 60 ms");
    // Received: Reset now returns false, and the timer fires again.
    LAB_CHECK(!t.Reset(10ms), "Reset after the value was received returned true");
    LAB_CHECK(t.C().recv().has_value(), "no value after the second Reset");
    // Stopped: Reset returns false and rearms.
    LAB_CHECK(!t.Stop(), "Stop of a fired, received timer returned true");
    LAB_CHECK(!t.Reset(10ms), "Reset of a stopped timer returned true");
    LAB_CHECK(t.C().recv().has_value(), "no value after Reset of a stopped timer");
  });
  LAB_REQUIRE_PASSED(r);
}

// A timer that fired unseen and is Reset never delivers the old value: the
// next value comes at the new time.
BOOST_AUTO_TEST_CASE(Timer_resetAfterFiringUnreceived_dropsTheStaleValue) {
  auto r = labtest::run([] {
    lab::Timer t(5ms, "t");
    awaitFired(t.C());
    const auto resetAt = lab::now();
    LAB_CHECK(t.Reset(50ms), "Reset with an unreceived value returned false");
    auto at = t.C().recv();
    LAB_CHECK(*at >= resetAt + 50ms, "received a value from before the Reset, fired at " << at->count() << " ns");
    LAB_CHECK(lab::now() >= resetAt + 50ms, "received before the new deadline");
  });
  LAB_REQUIRE_PASSED(r);
}

// Reset many times in a row: the firings armed before each Reset are stale
// and deliver nothing; exactly one value comes, at the last deadline.
BOOST_AUTO_TEST_CASE(Timer_manyResets_onlyTheLastFires) {
  auto r = labtest::run([] {
    lab::Timer t(10ms, "t");
    for (int i = 0; i < 20; i++) {
      lab::sleep_for(2ms);
      t.Reset(10ms);
    }
    const auto last = lab::now();
    auto at = t.C().recv();
    LAB_CHECK(*at >= last + 10ms, "a stale firing delivered at " << at->count() << " ns");
    LAB_CHECK(lab::select(lab::recv(t.C()), lab::timeout(50ms)) == 1, "a second value arrived");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Timer_inSelect_racesAChannel) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "ch");
    // The send is due long before the timer, so in real time a preempted
    // sender still comes first.
    lab::Timer t(300ms, "election timer");
    lab::ShutdownGuard guard;
    lab::go("sender", [&] {
      lab::sleep_for(10ms);
      ch.send(1);
    });
    int i = lab::select(lab::recv(t.C()), lab::recv(ch));
    LAB_CHECK(i == 1, "the timer won against a send due 290 ms earlier");
    i = lab::select(lab::recv(t.C()), lab::recv(ch));
    LAB_CHECK(i == 0, "the timer did not fire");
    LAB_CHECK(lab::now() >= 300ms, "fired early");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Timer_default_isStoppedUntilReset) {
  auto r = labtest::run([] {
    lab::Timer t("t");
    LAB_CHECK(lab::select(lab::recv(t.C()), lab::timeout(30ms)) == 1, "a default timer fired");
    LAB_CHECK(!t.Stop(), "Stop of a never-armed timer returned true");
    t.Reset(10ms);
    LAB_CHECK(t.C().recv().has_value(), "no value after Reset");
  });
  LAB_REQUIRE_PASSED(r);
}

// Ticks come every period, measured from the start (no drift); in sim each
// within a microsecond of its due time (the runtime's timer latency), however
// many ticks came before.
BOOST_AUTO_TEST_CASE(Ticker_ticks_everyPeriod) {
  auto r = labtest::run([] {
    const auto t0 = lab::now();
    lab::Ticker tk(50ms, "heartbeat");
    std::vector<lab::Duration> at;
    for (int k = 0; k < 10; k++) at.push_back(*tk.C().recv());
    for (int k = 0; k < 10; k++) {
      const auto due = t0 + (k + 1) * 50ms;
      LAB_CHECK(at[k] >= due, "tick " << k << " at " << at[k].count() << " ns, before " << due.count());
      if (std::string(lab::backend()) == "sim")
        LAB_CHECK(at[k] - due < 1us, "tick " << k << " at " << at[k].count() << " ns, due " << due.count());
    }
    LAB_CHECK(lab::now() - t0 < 10s, "ten 50 ms ticks took " << (lab::now() - t0).count() << " ns");
  });
  LAB_REQUIRE_PASSED(r);
}

// A reader slower than the ticker misses ticks rather than receiving a backlog.
BOOST_AUTO_TEST_CASE(Ticker_slowReader_dropsTicks) {
  auto r = labtest::run([] {
    const auto t0 = lab::now();
    lab::Ticker tk(10ms, "tk");
    lab::sleep_for(100ms);  // about ten ticks are due
    LAB_CHECK(tk.C().len() == 1, "the buffer holds " << tk.C().len() << " ticks");
    auto first = tk.C().recv();
    LAB_CHECK(*first < t0 + 100ms, "the waiting tick is from " << first->count() << " ns");
    auto next = tk.C().recv();
    LAB_CHECK(*next >= t0 + 100ms, "a second old tick was waiting, from " << next->count() << " ns");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Ticker_stop_noMoreTicks) {
  auto r = labtest::run([] {
    lab::Ticker tk(10ms, "tk");
    tk.C().recv();
    awaitFired(tk.C());
    tk.Stop();
    LAB_CHECK(tk.C().len() == 0, "Stop left a tick in the channel");
    LAB_CHECK(lab::select(lab::recv(tk.C()), lab::timeout(100ms)) == 1, "a stopped ticker ticked");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Ticker_reset_changesThePeriod) {
  auto r = labtest::run([] {
    lab::Ticker tk(10ms, "tk");
    tk.C().recv();
    const auto resetAt = lab::now();
    tk.Reset(50ms);
    auto a = tk.C().recv();
    auto b = tk.C().recv();
    LAB_CHECK(*a >= resetAt + 50ms, "first tick after Reset at +" << (*a - resetAt).count() << " ns");
    // On the new period's schedule (a late first tick, in real time, does not
    // move the second): not the old 10 ms.
    LAB_CHECK(*b >= resetAt + 100ms, "second tick after Reset at +" << (*b - resetAt).count() << " ns, not 100 ms");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Ticker_nonPositivePeriod_failsWithMessage) {
  auto r = labtest::run([] { lab::Ticker tk(0ms, "tk"); });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "non-positive interval for lab::Ticker"), r.summary());
}

// Timers and tickers destroyed with firings pending, or still running when
// the run ends, leave nothing behind: the run ends at once and clean.
BOOST_AUTO_TEST_CASE(Ticker_leftRunning_endsWithTheRun) {
  auto r = labtest::run([] {
    {
      lab::Timer gone(10ms, "gone");
      lab::Ticker alsoGone(5ms, "alsoGone");
    }
    lab::go("owner", [] {  // cancelled when the root returns, with its ticker running
      lab::Ticker tk(1ms, "owned");
      for (;;) tk.C().recv();
    });
    lab::Timer pending(std::chrono::hours(1), "pending");
    lab::sleep_for(50ms);
  });
  LAB_REQUIRE_PASSED(r);
  BOOST_CHECK(r.elapsed < 10s);
}

BOOST_AUTO_TEST_SUITE_END()
