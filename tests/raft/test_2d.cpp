// Part 2D: snapshots (the 2D tests of Go's src/raft/test_test.go).
#include "tests/raft/common.hpp"

using namespace raft_tests;

namespace {

// Go's limit is 2000 bytes of gob, which hold a persisted state of 95 log
// entries (84 bytes fixed, about 20 per entry) and not 96. Our labgob spends
// 44 bytes fixed and 13 per entry on the same state (tests/encoding/ encodes
// it both ways: `tests/encoding/compare.sh`), so 2000 would let a Raft keep
// 150 entries. Scaled the same way, 44 + (2000 - 84) * 13 / 20.01 = 1289:
// again 95 entries pass and 96 fail, so the check means what Go's means.
const int MAXLOGSIZE = 1289;

void snapcommon(const std::string& name, bool disconnect, bool reliable, bool crash) {
  const int iters = 30;
  const int servers = 3;
  auto cfg = make_config(servers, !reliable, true);
  Cleanup cleanup(cfg);

  cfg->begin(name);
  cfg->mustExercise(Scenario::kSnapshotPersisted);
  if (disconnect || crash) cfg->mustExercise(Scenario::kSnapshotInstalled);
  if (crash) cfg->exercises(Scenario::kSnapshotRestored);
  if (crash) cfg->exercises(Scenario::kRestartCaughtUp);

  cfg->one(randInt(), servers, true);
  int leader1 = cfg->checkOneLeader();

  for (int i = 0; i < iters; i++) {
    int victim = (leader1 + 1) % servers;
    int sender = leader1;
    if (i % 3 == 1) {
      sender = (leader1 + 1) % servers;
      victim = leader1;
    }

    if (disconnect) {
      cfg->disconnect(victim);
      cfg->one(randInt(), servers - 1, true);
    }
    if (crash) {
      cfg->crash1(victim);
      cfg->one(randInt(), servers - 1, true);
    }

    // Between half and one and a half SnapShotInterval commands, usually
    // enough for a snapshot.
    std::int64_t nn = (tester::SnapShotInterval / 2) + lab::rand_intn(tester::SnapShotInterval);
    for (std::int64_t j = 0; j < nn; j++) cfg->rafts(sender)->Start(randInt());

    // One more agreement, so the appliers have seen the commands just started.
    if (!disconnect && !crash) {
      // Wait for all three, so every follower is up to date and the basic
      // test never needs InstallSnapshot.
      cfg->one(randInt(), servers, true);
    } else {
      cfg->one(randInt(), servers - 1, true);
    }

    if (cfg->LogSize() >= MAXLOGSIZE) fatal(tester::edition().sizeMessage);
    if (disconnect) {
      // The returning follower may lag behind the leader's snapshot and then
      // can only catch up through InstallSnapshot.
      cfg->connect(victim);
      cfg->one(randInt(), servers, true);
      leader1 = cfg->checkOneLeader();
    }
    if (crash) {
      cfg->restart(victim, &Config::applierSnap);
      cfg->one(randInt(), servers, true);
      leader1 = cfg->checkOneLeader();
    }
  }
  cfg->end();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Raft2D, *raft_tests::part("2D"))

BOOST_AUTO_TEST_CASE(TestSnapshotBasic2D) {
  runTest([] { snapcommon("Test (2D): snapshots basic", false, true, false); });
}

BOOST_AUTO_TEST_CASE(TestSnapshotInstall2D) {
  runTest([] { snapcommon("Test (2D): install snapshots (disconnect)", true, true, false); });
}

BOOST_AUTO_TEST_CASE(TestSnapshotInstallUnreliable2D) {
  runTest([] { snapcommon("Test (2D): install snapshots (disconnect+unreliable)", true, false, false); });
}

BOOST_AUTO_TEST_CASE(TestSnapshotInstallCrash2D) {
  runTest([] { snapcommon("Test (2D): install snapshots (crash)", false, true, true); });
}

BOOST_AUTO_TEST_CASE(TestSnapshotInstallUnCrash2D) {
  runTest([] { snapcommon("Test (2D): install snapshots (unreliable+crash)", false, false, true); });
}

// After a crash of every peer, each must come back from its saved snapshot
// plus the log entries that follow it.
BOOST_AUTO_TEST_CASE(TestSnapshotAllCrash2D) {
  runTest([] {
    const int servers = 3;
    const int iters = 5;
    auto cfg = make_config(servers, tester::edition().allCrashUnreliable, true);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2D): crash and restart all servers");
    cfg->mustExercise(Scenario::kSnapshotPersisted);
    cfg->mustExercise(Scenario::kSnapshotRestored);

    cfg->one(randInt(), servers, true);

    for (int i = 0; i < iters; i++) {
      // Usually enough commands for a snapshot.
      std::int64_t nn = (tester::SnapShotInterval / 2) + lab::rand_intn(tester::SnapShotInterval);
      for (std::int64_t j = 0; j < nn; j++) cfg->one(randInt(), servers, true);

      int index1 = cfg->one(randInt(), servers, true);

      // Crash every peer...
      for (int j = 0; j < servers; j++) cfg->crash1(j);

      // ...and restart them all.
      cfg->startServers(&Config::applierSnap);

      int index2 = cfg->one(randInt(), servers, true);
      if (index2 < index1 + 1)
        fatal("index decreased from " + std::to_string(index1) + " to " + std::to_string(index2));
    }
    cfg->end();
  });
}

// After a restart a peer must load its snapshot into memory too; otherwise
// its next save of Raft state would drop the snapshot.
BOOST_AUTO_TEST_CASE(TestSnapshotInit2D) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, tester::edition().allCrashUnreliable, true);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2D): snapshot initialization after crash");
    cfg->mustExercise(Scenario::kSnapshotPersisted);
    cfg->mustExercise(Scenario::kSnapshotRestored);
    cfg->one(randInt(), servers, true);

    // One command more than SnapShotInterval, so a snapshot is taken.
    const int nn = tester::SnapShotInterval + 1;
    for (int i = 0; i < nn; i++) cfg->one(randInt(), servers, true);

    // Crash every peer...
    for (int i = 0; i < servers; i++) cfg->crash1(i);

    // ...and restart them all.
    cfg->startServers(&Config::applierSnap);

    // One agreement, so each peer saves its state again.
    cfg->one(randInt(), servers, true);

    // Crash every peer...
    for (int i = 0; i < servers; i++) cfg->crash1(i);

    // ...and restart them all.
    cfg->startServers(&Config::applierSnap);

    // Another agreement, which fails if that save lost the snapshot.
    cfg->one(randInt(), servers, true);
    cfg->end();
  });
}

BOOST_AUTO_TEST_SUITE_END()
