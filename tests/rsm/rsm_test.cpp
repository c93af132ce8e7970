// The rsm tests (Go's kvraft1/rsm/rsm_test.go, 2025): part 4A, and the
// snapshot test of part 4C. Each Go test's steps, constants and messages;
// `--run_test=@4A` runs part A.
#define BOOST_TEST_MODULE rsm
#include <boost/test/unit_test.hpp>

#include "tester/config.hpp"  // WaitGroup
#include "tests/rsm/common.hpp"

using namespace rsm_tests;
using tester::WaitGroup;

namespace {

// Go's t.Fatalf: the message alone.
[[noreturn]] void fatalf(const std::string& msg) { lab::fail(msg); }

// Steps 1-4 of TestRestartReplay4A and TestRestartSubmit4A: NINC increments,
// each checked, then every server shut down and restarted.
void incrementsThenRestart(const std::shared_ptr<Test>& ts, int NINC) {
  for (int i = 0; i < NINC; i++) {
    IncRep r = ts->oneInc();
    if (r.N != i + 1) fatalf("expected " + std::to_string(i) + " instead of " + std::to_string(r.N));
    ts->checkCounter(r.N, NSRV);
  }
  ts->g->Shutdown();
  lab::sleep_for(1s);
  ts->g->StartServers();
}

// NSUBMIT concurrent oneNull()s; `done` gets one value once all have returned.
void concurrentNulls(const std::shared_ptr<Test>& ts, int NSUBMIT, const std::shared_ptr<lab::Chan<bool>>& done) {
  lab::go("null submitters", [ts, NSUBMIT, done] {
    auto wg = std::make_shared<WaitGroup>();
    for (int i = 0; i < NSUBMIT; i++) {
      wg->Add(1);
      lab::go("oneNull " + std::to_string(i), [ts, wg] {
        ts->oneNull();
        wg->Done();
      });
    }
    wg->Wait();
    done->send(true);
  });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(RSM4A, *boost::unit_test::label("4A"))

// Submits increments one at a time; every server must execute each.
BOOST_AUTO_TEST_CASE(TestBasic4A) {
  runTest(-1, [](const std::shared_ptr<Test>& ts) {
    const int NINC = 10;
    ts->cfg->Begin("Test RSM basic");
    for (int i = 0; i < NINC; i++) {
      IncRep r = ts->oneInc();
      if (r.N != i + 1) fatalf("expected " + std::to_string(i) + " instead of " + std::to_string(r.N));
      ts->checkCounter(r.N, NSRV);
    }
  });
}

// Many Submits at once, all through one leader.
BOOST_AUTO_TEST_CASE(TestConcurrent4A) {
  runTest(-1, [](const std::shared_ptr<Test>& ts) {
    const int NINC = 50;
    ts->cfg->Begin("Test concurrent submit");
    WaitGroup wg;
    for (int i = 0; i < NINC; i++) {
      wg.Add(1);
      lab::go("oneInc " + std::to_string(i), [ts, &wg] {
        ts->oneInc();
        wg.Done();
      });
    }
    wg.Wait();
    ts->checkCounter(NINC, NSRV);
  });
}

// The leader is cut off; the other two go on; back, it catches up.
BOOST_AUTO_TEST_CASE(TestLeaderFailure4A) {
  runTest(-1, [](const std::shared_ptr<Test>& ts) {
    ts->cfg->Begin("Test Leader Failure");
    IncRep r = ts->oneInc();
    ts->checkCounter(r.N, NSRV);

    int l = ts->disconnectLeader();
    r = ts->oneInc();
    ts->checkCounter(r.N, NSRV - 1);

    ts->connect(l);
    ts->checkCounter(r.N, NSRV);
  });
}

// Submits to a leader in a minority must neither commit nor give up while
// it still leads; once the partition heals they must all return.
BOOST_AUTO_TEST_CASE(TestLeaderPartition4A) {
  runTest(-1, [](const std::shared_ptr<Test>& ts) {
    ts->cfg->Begin("Test Leader Partition");

    IncRep r = ts->oneInc();
    ts->checkCounter(r.N, NSRV);

    // The leader alone on one side, the other two on the other.
    auto [found, l] = ts->Leader();
    if (!found) l = 0;
    auto [p1, p2] = ts->g->MakePartition(l);
    ts->g->Partition(p1, p2);

    auto done = std::make_shared<lab::Chan<bool>>(0, "done");
    auto minority = ts->srv(l);
    lab::go("minority submitters", [minority, done] {
      // A hundred Decs to the cut-off leader: none may ever commit.
      const int NSUBMIT = 100;
      auto wg = std::make_shared<WaitGroup>();
      for (int i = 0; i < NSUBMIT; i++) {
        wg->Add(1);
        lab::go("Dec " + std::to_string(i), [minority, wg, i] {
          auto [err, rep] = minority->rsm->Submit(Dec{});
          if (err == rpc::OK) fatalf("Submit " + std::to_string(i) + " in minority completed " + formatRep(rep));
          wg->Done();
        });
      }
      wg->Wait();
      done->send(true);
    });

    // Let the Decs reach the old leader's log first.
    lab::sleep_for(10ms);

    // The majority goes on without it.
    IncRep rep = Test::asIncRep(ts->onePartition(p1, Inc{}), "onePartition");

    if (done->recv_for(1s)) ts->cfg->Fatalf("Dec's in minority completed; Submit returns {}");

    // Back on the network; with three servers nothing is cut off any more.
    ts->connect(l);

    if (!done->recv_for(1s)) ts->cfg->Fatalf("Submit after healing didn't return");

    ts->checkCounter(rep.N, NSRV);
  });
}

// Every server crashes and restarts: the log replays the counter.
BOOST_AUTO_TEST_CASE(TestRestartReplay4A) {
  runTest(-1, [](const std::shared_ptr<Test>& ts) {
    const int NINC = 100;
    ts->cfg->Begin("Test Restart");
    incrementsThenRestart(ts, NINC);

    IncRep r = ts->oneInc();
    if (r.N != NINC + 1) fatalf("expected " + std::to_string(NINC + 1) + " got " + std::to_string(r.N));

    lab::sleep_for(1s);
    ts->checkCounter(r.N, NSRV);
  });
}

// Submits in flight when every server is killed must all return.
BOOST_AUTO_TEST_CASE(TestShutdown4A) {
  runTest(-1, [](const std::shared_ptr<Test>& ts) {
    const int NSUBMIT = 100;
    ts->cfg->Begin("Test Shutdown");

    auto done = std::make_shared<lab::Chan<bool>>(0, "done");
    concurrentNulls(ts, NSUBMIT, done);
    lab::sleep_for(20ms);  // a head start before the shutdown
    ts->g->Shutdown();

    if (!done->recv_for(std::chrono::seconds(NSEC + 1))) ts->cfg->Fatalf("Submit didn't stop after shutdown");
  });
}

// A restart with Submits in flight: the new Inc must get its own reply,
// not that of an entry from before the crash.
BOOST_AUTO_TEST_CASE(TestRestartSubmit4A) {
  runTest(-1, [](const std::shared_ptr<Test>& ts) {
    const int NINC = 100;
    const int NSUBMIT = 100;
    ts->cfg->Begin("Test Restart and submit");
    incrementsThenRestart(ts, NINC);

    IncRep r = ts->oneInc();
    if (r.N != NINC + 1) fatalf("Expected " + std::to_string(NINC + 1) + " got " + std::to_string(r.N));

    lab::sleep_for(1s);

    auto done = std::make_shared<lab::Chan<bool>>(0, "done");
    concurrentNulls(ts, NSUBMIT, done);
    lab::sleep_for(20ms);  // a head start before the shutdown
    ts->g->Shutdown();

    if (!done->recv_for(std::chrono::seconds(NSEC + 1))) ts->cfg->Fatalf("Submit didn't stop after shutdown");

    ts->g->StartServers();

    r = ts->oneInc();
    ts->checkCounter(r.N, NSRV);
  });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(RSM4C, *boost::unit_test::label("4C"))

// With maxraftstate 1000 the servers must snapshot, and restart from it.
BOOST_AUTO_TEST_CASE(TestSnapshot4C) {
  const int MAXRAFTSTATE = 1000;
  runTest(MAXRAFTSTATE, [](const std::shared_ptr<Test>& ts) {
    const int N = 100;
    ts->cfg->Begin("Test creating and restoring snapshot");

    for (int i = 0; i < N; i++) ts->oneInc();
    ts->checkCounter(N, NSRV);

    int sz = ts->g->LogSize();
    if (sz > 2 * MAXRAFTSTATE)
      ts->cfg->Fatalf("logs were not trimmed (" + std::to_string(sz) + " > 2 * " + std::to_string(MAXRAFTSTATE) +
                      ")");

    // The restarted servers start from their snapshots, then the log after them.
    ts->g->Shutdown();
    ts->g->StartServers();
    ts->oneInc();

    ts->checkCounter(N + 1, NSRV);
  });
}

BOOST_AUTO_TEST_SUITE_END()
