// Unit tests of lab::select (lab/select.hpp). They hold in both backends:
// time bounds are lower bounds or generous upper bounds, and "no value yet"
// is checked after a wait long enough on any machine. In sim each run
// follows its seed.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "lab/select.hpp"
#include "tests/support/run.hpp"

using namespace std::chrono_literals;

namespace {

bool contains(const lab::Result& r, const std::string& needle) {
  for (const auto& f : r.failures)
    if (f.find(needle) != std::string::npos) return true;
  return false;
}

// The value a channel holds now, if any, without blocking.
template <class T>
std::optional<T> poll(lab::Chan<T>& ch) {
  std::optional<T> got;
  lab::select(lab::recv(ch, [&](std::optional<T> v) { got = v; }), lab::otherwise());
  return got;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Select)

BOOST_AUTO_TEST_CASE(select_readyRecv_runsItsCallbackWithTheValue) {
  auto r = labtest::run([] {
    lab::Chan<int> full(1, "full"), empty(1, "empty");
    full.send(7);
    std::optional<int> got;
    bool otherRan = false;
    int i = lab::select(lab::recv(empty, [&] { otherRan = true; }),
                        lab::recv(full, [&](std::optional<int> v) { got = v; }));
    LAB_CHECK(i == 1, "chose case " << i);
    LAB_CHECK(got == 7, "received " << got.value_or(-1));
    LAB_CHECK(!otherRan, "the callback of a case not chosen ran");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(select_readySend_fillsTheBuffer) {
  auto r = labtest::run([] {
    lab::Chan<int> q(1, "q");
    bool sent = false;
    int i = lab::select(lab::send(q, 5, [&] { sent = true; }));
    LAB_CHECK(i == 0 && sent, "the send case did not run");
    LAB_CHECK(q.len() == 1 && *q.recv() == 5, "the value is not in the buffer");
    // Full now: the send is not ready, the default runs.
    q.send(6);
    i = lab::select(lab::send(q, 9), lab::otherwise());
    LAB_CHECK(i == 1, "sent to a full buffer");
    LAB_CHECK(q.len() == 1 && *q.recv() == 6, "the buffer changed");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(select_noneReady_blocksUntilASendArrives) {
  auto r = labtest::run([] {
    lab::Chan<int> a(0, "a"), b(0, "b");
    lab::ShutdownGuard guard;
    lab::go("late sender", [&] {
      lab::sleep_for(30ms);
      b.send(2);
    });
    const auto t0 = lab::now();
    std::optional<int> got;
    int i = lab::select(lab::recv(a), lab::recv(b, [&](std::optional<int> v) { got = v; }));
    LAB_CHECK(i == 1 && got == 2, "case " << i << ", value " << got.value_or(-1));
    LAB_CHECK(lab::now() - t0 >= 30ms, "returned before the send, after " << (lab::now() - t0).count() << " ns");
  });
  LAB_REQUIRE_PASSED(r);
}

// Go chooses uniformly among ready cases; over 2,000 rounds each of two
// always-ready cases is taken close to 1,000 times (a 300 margin is over 13
// standard deviations), and a third, never-ready one never.
BOOST_AUTO_TEST_CASE(select_severalReady_choosesEachAtRandom) {
  auto r = labtest::run([] {
    lab::Chan<int> a(1, "a"), b(1, "b"), never(0, "never");
    int count[3] = {0, 0, 0};
    for (int round = 0; round < 2000; round++) {
      a.send(1);
      b.send(2);
      count[lab::select(lab::recv(a), lab::recv(never), lab::recv(b))]++;
      lab::select(lab::recv(a), lab::recv(b));  // empty both again
      LAB_CHECK(a.len() + b.len() == 0, "a value was left behind");
    }
    LAB_CHECK(count[0] > 700 && count[2] > 700, "a chosen " << count[0] << " times, b " << count[2]);
    LAB_CHECK(count[1] == 0, "a never-ready case was chosen");
  });
  LAB_REQUIRE_PASSED(r);
}

// The choice comes from the run's seed: the same seed, the same choices.
BOOST_AUTO_TEST_CASE(select_sameSeed_sameChoices) {
  auto choices = [](std::uint64_t seed) {
    std::vector<int> v;
    lab::Options o;
    o.seed = seed;
    auto r = lab::run(o, [&] {
      lab::Chan<int> a(1), b(1), c(1);
      for (int i = 0; i < 64; i++) {
        a.send(1);
        b.send(2);
        c.send(3);
        v.push_back(lab::select(lab::recv(a), lab::recv(b), lab::recv(c)));
        lab::select(lab::recv(a), lab::otherwise());
        lab::select(lab::recv(b), lab::otherwise());
        lab::select(lab::recv(c), lab::otherwise());
      }
    });
    BOOST_REQUIRE(r.ok());
    return v;
  };
  BOOST_CHECK(choices(7) == choices(7));
  BOOST_CHECK(choices(7) != choices(8));
}

BOOST_AUTO_TEST_CASE(select_otherwise_runsOnlyWhenNothingIsReady) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(1, "ch");
    bool dflt = false;
    int i = lab::select(lab::recv(ch), lab::otherwise([&] { dflt = true; }));
    LAB_CHECK(i == 1 && dflt, "the default did not run on an empty channel");
    ch.send(1);
    dflt = false;
    i = lab::select(lab::recv(ch), lab::otherwise([&] { dflt = true; }));
    LAB_CHECK(i == 0 && !dflt, "the default ran with a value waiting");
    i = lab::select(lab::otherwise());
    LAB_CHECK(i == 0, "a select with only a default did not take it");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(select_timeout_firesWhenNothingArrives) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "ch");
    const auto t0 = lab::now();
    bool timedOut = false;
    int i = lab::select(lab::recv(ch), lab::timeout(40ms, [&] { timedOut = true; }));
    const auto waited = lab::now() - t0;
    LAB_CHECK(i == 1 && timedOut, "the timeout case did not run");
    LAB_CHECK(waited >= 40ms, "timed out early, after " << waited.count() << " ns");
    LAB_CHECK(waited < 5s, "timed out late, after " << waited.count() << " ns");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(select_timeout_notTakenWhenACaseCompletesFirst) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "ch");
    lab::ShutdownGuard guard;
    lab::go("sender", [&] {
      lab::sleep_for(10ms);
      ch.send(1);
    });
    int i = lab::select(lab::recv(ch), lab::timeout(10s));
    LAB_CHECK(i == 0, "timed out with a sender 10 ms away");
    LAB_CHECK(lab::now() < 5s, "waited for the timeout");
    // A zero timeout acts as a default.
    i = lab::select(lab::recv(ch), lab::timeout(0ms));
    LAB_CHECK(i == 1, "a zero timeout did not fire at once");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(select_recvOnClosed_isReadyWithNullopt) {
  auto r = labtest::run([] {
    lab::Chan<int> closed(0, "closed"), open(0, "open");
    closed.close();
    std::optional<int> got = 99;
    int i = lab::select(lab::recv(open), lab::recv(closed, [&](std::optional<int> v) { got = v; }));
    LAB_CHECK(i == 1 && !got, "a closed channel did not give nullopt");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(select_blockedRecv_closeWakesItWithNullopt) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "ch"), other(0, "other");
    lab::ShutdownGuard guard;
    lab::go("closer", [&] {
      lab::sleep_for(20ms);
      ch.close();
    });
    std::optional<int> got = 99;
    int i = lab::select(lab::recv(other), lab::recv(ch, [&](std::optional<int> v) { got = v; }));
    LAB_CHECK(i == 1 && !got, "case " << i);
    LAB_CHECK(lab::now() >= 20ms, "woke before the close");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(select_sendOnClosed_failsWithMessage) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(1, "applyCh");
    ch.close();
    lab::select(lab::send(ch, 1), lab::otherwise());
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "send on closed channel applyCh"), r.summary());
  BOOST_CHECK_MESSAGE(contains(r, "activity 'root'"), r.summary());
}

BOOST_AUTO_TEST_CASE(select_blockedSend_closeFailsTheSelect) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "c"), other(0, "other");
    lab::ShutdownGuard guard;
    lab::go("selector", [&] { lab::select(lab::send(ch, 1), lab::recv(other)); });
    labtest::await_blocked("selector", "select");
    ch.close();
    lab::sleep_for(10ms);
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "send on closed channel c (closed while the select waited)"), r.summary());
  BOOST_CHECK_MESSAGE(contains(r, "activity 'selector'"), r.summary());
}

// An unbuffered send is not ready without a receiver: it never delivers when
// the select takes another case.
BOOST_AUTO_TEST_CASE(select_unbufferedSend_withoutReceiver_deliversNothing) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "ch");
    int i = lab::select(lab::send(ch, 1), lab::timeout(20ms));
    LAB_CHECK(i == 1, "sent with nobody receiving");
    lab::ShutdownGuard guard;
    std::optional<int> got;
    lab::go("late receiver", [&] { got = ch.recv_for(50ms); });
    lab::sleep_for(100ms);
    LAB_CHECK(!got, "a value arrived from a select that timed out");
  });
  LAB_REQUIRE_PASSED(r);
}

// A select-send meets a receiver already blocked in recv(), and returns only
// once that receiver has the value.
BOOST_AUTO_TEST_CASE(select_unbufferedSend_completesWhenAWaitingReceiverTakesIt) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "ch"), done(1, "done");
    lab::ShutdownGuard guard;
    lab::go("receiver", [&] { done.send(*ch.recv()); });
    lab::sleep_for(20ms);  // the receiver is blocked by now
    int i = lab::select(lab::send(ch, 42), lab::timeout(10s));
    LAB_CHECK(i == 0, "the send timed out with a receiver waiting");
    LAB_CHECK(*done.recv() == 42, "the receiver got something else");
  });
  LAB_REQUIRE_PASSED(r);
}

// A plain send meets a select blocked receiving, and a plain receive meets a
// select blocked sending.
BOOST_AUTO_TEST_CASE(select_blocked_meetsPlainSendAndRecv) {
  auto r = labtest::run([] {
    lab::Chan<int> in(0, "in"), out(0, "out"), idle(0, "idle");
    lab::ShutdownGuard guard;
    lab::go("plain", [&] {
      lab::sleep_for(20ms);
      in.send(1);
      lab::sleep_for(20ms);
      LAB_CHECK(*out.recv() == 2, "plain recv got the wrong value");
    });
    std::optional<int> got;
    int i = lab::select(lab::recv(in, [&](std::optional<int> v) { got = v; }), lab::recv(idle));
    LAB_CHECK(i == 0 && got == 1, "the blocked select did not get the plain send");
    i = lab::select(lab::send(out, 2), lab::recv(idle));
    LAB_CHECK(i == 0, "the blocked select-send did not meet the plain recv");
    LAB_CHECK(lab::now() >= 40ms, "the send completed before the receive, at " << lab::now().count() << " ns");
  });
  LAB_REQUIRE_PASSED(r);
}

// Two selects on opposite ends of an unbuffered channel meet, whichever comes
// first, and each value is delivered exactly once.
BOOST_AUTO_TEST_CASE(select_twoSelectsOnOppositeEnds_rendezvous) {
  auto r = labtest::run([] {
    lab::Chan<int> ch(0, "ch"), idleA(0, "idleA"), idleB(0, "idleB");
    lab::Chan<int> results(1, "results");
    lab::ShutdownGuard guard;
    constexpr int kRounds = 200;
    lab::go("selecting sender", [&] {
      for (int k = 0; k < kRounds; k++) {
        if (lab::rand_intn(2)) lab::sleep_for(std::chrono::microseconds(lab::rand_intn(300)));
        int i = lab::select(lab::recv(idleA), lab::send(ch, k), lab::timeout(10s));
        LAB_CHECK(i == 1, "round " << k << ": the sender's select chose " << i);
      }
    });
    int sum = 0;
    for (int k = 0; k < kRounds; k++) {
      if (lab::rand_intn(2)) lab::sleep_for(std::chrono::microseconds(lab::rand_intn(300)));
      std::optional<int> got;
      int i = lab::select(lab::recv(ch, [&](std::optional<int> v) { got = v; }), lab::recv(idleB), lab::timeout(10s));
      LAB_CHECK(i == 0 && got == k, "round " << k << ": case " << i << ", value " << got.value_or(-1));
      sum += *got;
    }
    LAB_CHECK(sum == kRounds * (kRounds - 1) / 2, "sum " << sum);
  });
  LAB_REQUIRE_PASSED(r);
}

// A select blocked sending to a full buffer moves its value in when a
// receiver makes room, behind the values already there.
BOOST_AUTO_TEST_CASE(select_blockedSendToFullBuffer_movesInWhenRoom) {
  auto r = labtest::run([] {
    lab::Chan<int> q(1, "q"), idle(0, "idle");
    q.send(1);
    lab::ShutdownGuard guard;
    lab::Chan<int> done(1, "done");
    lab::go("selector", [&] { done.send(lab::select(lab::recv(idle), lab::send(q, 2))); });
    lab::sleep_for(20ms);
    LAB_CHECK(*q.recv() == 1, "lost the first value");
    LAB_CHECK(*done.recv() == 1, "the select did not complete its send");
    LAB_CHECK(*q.recv() == 2, "the select's value is not in the buffer");
  });
  LAB_REQUIRE_PASSED(r);
}

// A nil channel (a null pointer) is never ready, as in Go.
BOOST_AUTO_TEST_CASE(select_nilChannel_isNeverReady) {
  auto r = labtest::run([] {
    lab::Chan<int>* nil = nullptr;
    lab::Chan<int> ch(1, "ch");
    ch.send(3);
    int i = lab::select(lab::recv(nil), lab::send(nil, 1), lab::recv(ch));
    LAB_CHECK(i == 2, "chose a nil channel's case");
    i = lab::select(lab::recv(nil), lab::timeout(10ms));
    LAB_CHECK(i == 1, "a nil channel's case completed");
  });
  LAB_REQUIRE_PASSED(r);
}

// Many selects and plain operations on the same unbuffered and buffered
// channels: every value sent is received exactly once.
BOOST_AUTO_TEST_CASE(select_manySendersAndReceivers_eachValueOnce) {
  auto r = labtest::run([] {
    lab::Chan<int> u(0, "u"), q(2, "q"), sendersDone(8, "sendersDone"), stop(0, "stop");
    lab::Chan<long> sums(8, "sums");
    lab::ShutdownGuard guard;
    constexpr int kSenders = 4, kReceivers = 3, kPer = 300;
    for (int s = 0; s < kSenders; s++)
      lab::go("sender " + std::to_string(s), [&, s] {
        for (int k = 0; k < kPer; k++) {
          const int v = s * kPer + k + 1;
          if (k % 3 == 0) {
            (k % 2 ? u : q).send(v);  // plain
          } else {
            bool sent = false;
            while (!sent)  // a select-send that may time out and try again
              lab::select(lab::send(u, v, [&] { sent = true; }), lab::send(q, v, [&] { sent = true; }),
                          lab::timeout(std::chrono::microseconds(100 + lab::rand_intn(400))));
          }
        }
        sendersDone.send(s);
      });
    for (int c = 0; c < kReceivers; c++)
      lab::go("receiver " + std::to_string(c), [&, c] {
        long sum = 0;
        bool stopped = false;
        while (!stopped) {
          if (c == 0) {  // plain receives with a timeout
            if (auto v = u.recv_for(1ms))
              sum += *v;
            else if (auto w = q.recv_for(1ms))
              sum += *w;
            else
              stopped = stop.closed();
          } else {
            lab::select(lab::recv(u, [&](std::optional<int> v) { sum += *v; }),
                        lab::recv(q, [&](std::optional<int> v) { sum += *v; }),
                        lab::recv(stop, [&] { stopped = true; }));
          }
        }
        // Every sender is done: what is left is in q's buffer.
        while (lab::select(lab::recv(q, [&](std::optional<int> v) { sum += *v; }), lab::otherwise()) == 0) {
        }
        sums.send(sum);
      });
    for (int s = 0; s < kSenders; s++) sendersDone.recv();
    stop.close();
    long total = 0;
    for (int c = 0; c < kReceivers; c++) total += *sums.recv();
    const long n = kSenders * kPer;
    LAB_CHECK(total == n * (n + 1) / 2, "received a total of " << total << ", sent " << n * (n + 1) / 2);
  });
  LAB_REQUIRE_PASSED(r);
}

// Cancelled while blocked: the select throws lab::Killed and leaves its
// channels, so a later send is not handed to it.
BOOST_AUTO_TEST_CASE(select_cancelledWhileBlocked_throwsKilledAndWithdraws) {
  auto r = labtest::run([] {
    auto a = std::make_shared<lab::Chan<int>>(1, "a");
    auto b = std::make_shared<lab::Chan<int>>(0, "b");
    auto killed = std::make_shared<std::atomic<bool>>(false);
    lab::go("selector", [a, b, killed] {
      try {
        lab::select(lab::recv(*a), lab::send(*b, 1));
      } catch (const lab::Killed&) {
        *killed = true;
        throw;
      }
    });
    labtest::await_blocked("selector", "select");
    lab::shutdown();  // cancels the selector and waits for it
    LAB_CHECK(*killed, "the blocked select did not throw lab::Killed");
    a->send(5);  // buffered: stays there, no select takes it
    LAB_CHECK(a->len() == 1 && *a->recv() == 5, "a value went to the cancelled select");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(select_blocked_reportNamesItsCases) {
  lab::Options o;
  o.time_limit = 300ms;
  auto r = labtest::run(
      [] {
        lab::go("stuck", [] {
          lab::Chan<int> inbox(0, "inbox"), outbox(0, "outbox");
          lab::select(lab::recv(inbox), lab::send(outbox, 1));
        });
        lab::sleep_for(std::chrono::hours(1));
      },
      o);
  BOOST_CHECK(r.outcome == lab::Outcome::TimeLimit);
  BOOST_CHECK_MESSAGE(contains(r, "'stuck' (#2) blocked in select: recv on inbox, send on outbox (CondVar::wait"),
                      r.summary());
}

BOOST_AUTO_TEST_SUITE_END()
