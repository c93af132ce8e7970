// Part 2B: log replication (the 2B tests of Go's src/raft/test_test.go).
#include <algorithm>
#include <optional>

#include "tests/raft/common.hpp"

using namespace raft_tests;

namespace {
std::string str(const Command& c) {
  std::ostringstream os;
  os << c;
  return os.str();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(Raft2B, *raft_tests::part("2B"))

BOOST_AUTO_TEST_CASE(TestBasicAgree2B) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): basic agreement");
    cfg->exercises(Scenario::kLeaderElected);

    const int iters = 3;
    for (int index = 1; index < iters + 1; index++) {
      auto [nd, unused] = cfg->nCommitted(index);
      if (nd > 0) fatal("some have committed before Start()");

      int xindex = cfg->one(index * 100, servers, false);
      if (xindex != index) fatal("got index " + std::to_string(xindex) + " but expected " + std::to_string(index));
    }

    cfg->end();
  });
}

// The RPC byte total tells whether every command travelled to every peer
// only once.
BOOST_AUTO_TEST_CASE(TestRPCBytes2B) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): RPC byte count");
    cfg->exercises(Scenario::kLeaderElected);

    cfg->one(99, servers, false);
    std::int64_t bytes0 = cfg->bytesTotal();

    const int iters = 10;
    std::int64_t sent = 0;
    for (int index = 2; index < iters + 2; index++) {
      Command cmd = tester::randstring(5000);
      int xindex = cfg->one(cmd, servers, false);
      if (xindex != index) fatal("got index " + std::to_string(xindex) + " but expected " + std::to_string(index));
      sent += static_cast<std::int64_t>(cmd.as_string().size());
    }

    std::int64_t bytes1 = cfg->bytesTotal();
    std::int64_t got = bytes1 - bytes0;
    std::int64_t expected = static_cast<std::int64_t>(servers) * sent;
    // Go allows 50000 bytes over the payload. A run needs 20 round trips that
    // carry a 5000-byte command (2 followers, 10 commands) and some 24 small
    // ones; at gob's sizes (5306 and 283 bytes) the 200000-byte limit leaves
    // room for 16.4 needless re-sends of a command. Our round trips cost 5070
    // and 57 bytes (tests/encoding/compare.sh measures both), so the same
    // 16.4 re-sends fit under expected + 36000; 50000 would allow 19.2.
    if (got > expected + 36000)
      fatal("too many RPC bytes; got " + std::to_string(got) + ", expected " + std::to_string(expected));

    cfg->end();
  });
}

// Followers fail one after the other while the leader stays up.
BOOST_AUTO_TEST_CASE(TestFollowerFailure2B) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): test progressive failure of followers");
    cfg->exercises(Scenario::kLeaderElected);

    cfg->one(101, servers, false);

    // Cut one follower off.
    int leader1 = cfg->checkOneLeader();
    cfg->disconnect((leader1 + 1) % servers);

    // Two of three peers are still a majority, so commands keep committing.
    cfg->one(102, servers - 1, false);
    lab::sleep_for(RaftElectionTimeout);
    cfg->one(103, servers - 1, false);

    // Now cut off both followers of the current leader.
    int leader2 = cfg->checkOneLeader();
    cfg->disconnect((leader2 + 1) % servers);
    cfg->disconnect((leader2 + 2) % servers);

    // Hand the isolated leader a command.
    auto [index, unused, ok] = cfg->rafts(leader2)->Start(104);
    if (!ok) fatal("leader rejected Start()");
    if (index != 4) fatal("expected index 4, got " + std::to_string(index));

    lab::sleep_for(2 * RaftElectionTimeout);

    // With no majority behind it, 104 must not be committed anywhere.
    auto [n, unused2] = cfg->nCommitted(index);
    if (n > 0) fatal(std::to_string(n) + " committed but no majority");

    cfg->end();
  });
}

// Leaders fail one after the other.
BOOST_AUTO_TEST_CASE(TestLeaderFailure2B) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): test failure of leaders");
    cfg->exercises(Scenario::kLeaderChanged);

    cfg->one(101, servers, false);

    // Cut off the first leader.
    int leader1 = cfg->checkOneLeader();
    cfg->disconnect(leader1);

    // The two followers left must choose a leader between them and keep
    // committing.
    cfg->one(102, servers - 1, false);
    lab::sleep_for(RaftElectionTimeout);
    cfg->one(103, servers - 1, false);

    // Cut off that leader as well.
    int leader2 = cfg->checkOneLeader();
    cfg->disconnect(leader2);

    // Offer command 104 to every peer, connected or not.
    for (int i = 0; i < servers; i++) cfg->rafts(i)->Start(104);

    lab::sleep_for(2 * RaftElectionTimeout);

    // With no majority behind it, 104 must not be committed anywhere.
    auto [n, unused] = cfg->nCommitted(4);
    if (n > 0) fatal(std::to_string(n) + " committed but no majority");

    cfg->end();
  });
}

// A follower that was cut off and then comes back must take part again.
BOOST_AUTO_TEST_CASE(TestFailAgree2B) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): agreement after follower reconnects");
    cfg->exercises(Scenario::kLeaderElected);

    cfg->one(101, servers, false);

    // Cut one follower off.
    int leader = cfg->checkOneLeader();
    cfg->disconnect((leader + 1) % servers);

    // Two of three peers are still a majority, so commands keep committing.
    cfg->one(102, servers - 1, false);
    cfg->one(103, servers - 1, false);
    lab::sleep_for(RaftElectionTimeout);
    cfg->one(104, servers - 1, false);
    cfg->one(105, servers - 1, false);

    // Bring the follower back.
    cfg->connect((leader + 1) % servers);

    // All three peers must keep what was committed before and go on
    // committing new commands.
    cfg->one(106, servers, true);
    lab::sleep_for(RaftElectionTimeout);
    cfg->one(107, servers, true);

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestFailNoAgree2B) {
  runTest([] {
    const int servers = 5;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): no agreement if too many followers disconnect");
    cfg->exercises(Scenario::kLeaderChanged);
    cfg->exercises(Scenario::kEntryOverwritten);

    cfg->one(10, servers, false);

    // Cut off three of the leader's four followers.
    int leader = cfg->checkOneLeader();
    cfg->disconnect((leader + 1) % servers);
    cfg->disconnect((leader + 2) % servers);
    cfg->disconnect((leader + 3) % servers);

    auto [index, unused, ok] = cfg->rafts(leader)->Start(20);
    if (!ok) fatal("leader rejected Start()");
    if (index != 2) fatal("expected index 2, got " + std::to_string(index));

    lab::sleep_for(2 * RaftElectionTimeout);

    auto [n, unused2] = cfg->nCommitted(index);
    if (n > 0) fatal(std::to_string(n) + " committed but no majority");

    // Reconnect those three.
    cfg->connect((leader + 1) % servers);
    cfg->connect((leader + 2) % servers);
    cfg->connect((leader + 3) % servers);

    // While cut off, the three may have elected one of their own, which never
    // saw index 2; so the next index may be 2 or 3.
    int leader2 = cfg->checkOneLeader();
    auto [index2, unused3, ok2] = cfg->rafts(leader2)->Start(30);
    if (!ok2) fatal("leader2 rejected Start()");
    if (index2 < 2 || index2 > 3) fatal("unexpected index " + std::to_string(index2));

    cfg->one(1000, servers, true);

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestConcurrentStarts2B) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): concurrent Start()s");
    cfg->exercises(Scenario::kLeaderElected);

    bool success = false;
    for (int tryi = 0; tryi < 5; tryi++) {
      if (tryi > 0) {
        // Let the cluster calm down before the next attempt.
        lab::sleep_for(3s);
      }

      int leader = cfg->checkOneLeader();
      auto [unused, term, ok] = cfg->rafts(leader)->Start(1);
      if (!ok) {
        // Leadership was already lost; try again.
        continue;
      }

      const int iters = 5;
      auto wg = std::make_shared<tester::WaitGroup>();  // shared: starters may outlive a failed test
      auto is = std::make_shared<lab::Chan<int>>(iters);
      for (int ii = 0; ii < iters; ii++) {
        wg->Add(1);
        auto rf = cfg->rafts(leader);
        lab::go("starter", [wg, is, rf, ii, term = term] {
          auto [i, term1, ok] = rf->Start(100 + ii);
          if (term1 != term || !ok) {
            wg->Done();
            return;
          }
          is->send(i);
          wg->Done();
        });
      }

      wg->Wait();
      is->close();

      bool moved = false;
      for (int j = 0; j < servers; j++)
        if (cfg->rafts(j)->GetState().term != term) moved = true;  // a new term began: this round proves nothing
      if (moved) continue;

      bool failed = false;
      std::vector<std::int64_t> cmds;
      while (auto index = is->recv()) {
        Command cmd = cfg->wait(*index, servers, term);
        if (cmd.is_int()) {
          if (cmd.as_int() == -1) {
            // A later term has begun, so some of the Start() calls may
            // rightly have been lost.
            failed = true;
            break;
          }
          cmds.push_back(cmd.as_int());
        } else {
          fatal("value " + str(cmd) + " is not an int");
        }
      }

      if (failed) {
        // Go drains the channel here so that no starter stays blocked; ours is
        // buffered and already closed, so there is nothing to drain.
        continue;
      }

      for (int ii = 0; ii < iters; ii++) {
        std::int64_t x = 100 + ii;
        if (std::find(cmds.begin(), cmds.end(), x) == cmds.end()) {
          std::string list = "[";
          for (std::size_t k = 0; k < cmds.size(); k++) list += (k ? " " : "") + std::to_string(cmds[k]);
          fatal("cmd " + std::to_string(x) + " missing in " + list + "]");
        }
      }

      success = true;
      break;
    }

    if (!success) fatal("term changed too often");

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestRejoin2B) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): rejoin of partitioned leader");
    cfg->exercises(Scenario::kLeaderChanged);
    cfg->exercises(Scenario::kEntryOverwritten);

    cfg->one(101, servers, true);

    // Cut off the leader.
    int leader1 = cfg->checkOneLeader();
    cfg->disconnect(leader1);

    // The isolated leader accepts entries it can never commit.
    cfg->rafts(leader1)->Start(102);
    cfg->rafts(leader1)->Start(103);
    cfg->rafts(leader1)->Start(104);

    // The other two elect a leader and commit 103, which also lands at index 2.
    cfg->one(103, 2, true);

    // Cut off the second leader.
    int leader2 = cfg->checkOneLeader();
    cfg->disconnect(leader2);

    // The first leader returns, its log still holding the uncommitted entries.
    cfg->connect(leader1);

    cfg->one(104, 2, true);

    // Let all three talk again.
    cfg->connect(leader2);

    cfg->one(105, servers, true);

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestBackup2B) {
  runTest([] {
    const int servers = 5;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): leader backs up quickly over incorrect follower logs");
    cfg->exercises(Scenario::kLeaderChanged);
    cfg->exercises(Scenario::kEntryOverwritten);

    cfg->one(randInt(), servers, true);

    // Isolate the leader together with a single follower.
    int leader1 = cfg->checkOneLeader();
    cfg->disconnect((leader1 + 2) % servers);
    cfg->disconnect((leader1 + 3) % servers);
    cfg->disconnect((leader1 + 4) % servers);

    // Feed that minority 50 commands; none of them can commit.
    for (int i = 0; i < 50; i++) cfg->rafts(leader1)->Start(randInt());

    lab::sleep_for(RaftElectionTimeout / 2);

    cfg->disconnect((leader1 + 0) % servers);
    cfg->disconnect((leader1 + 1) % servers);

    // Swap sides: the other three peers become the connected group.
    cfg->connect((leader1 + 2) % servers);
    cfg->connect((leader1 + 3) % servers);
    cfg->connect((leader1 + 4) % servers);

    // Commit 50 commands through the three connected peers.
    for (int i = 0; i < 50; i++) cfg->one(randInt(), 3, true);

    // Cut one peer off from the new group, leaving its leader with one follower.
    int leader2 = cfg->checkOneLeader();
    int other = (leader1 + 2) % servers;
    if (leader2 == other) other = (leader2 + 1) % servers;
    cfg->disconnect(other);

    // Another 50 commands this leader cannot commit.
    for (int i = 0; i < 50; i++) cfg->rafts(leader2)->Start(randInt());

    lab::sleep_for(RaftElectionTimeout / 2);

    // Reconnect only the first leader, its old follower and the peer cut off last:
    for (int i = 0; i < servers; i++) cfg->disconnect(i);
    cfg->connect((leader1 + 0) % servers);
    cfg->connect((leader1 + 1) % servers);
    cfg->connect(other);

    // Commit 50 commands through the three connected peers.
    for (int i = 0; i < 50; i++) cfg->one(randInt(), 3, true);

    // Finally reconnect all five.
    for (int i = 0; i < servers; i++) cfg->connect(i);
    cfg->one(randInt(), servers, true);

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestCount2B) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2B): RPC counts aren't too high");
    cfg->exercises(Scenario::kLeaderElected);

    auto rpcs = [&] {
      int n = 0;
      for (int j = 0; j < servers; j++) n += cfg->rpcCount(j);
      return n;
    };

    int leader = cfg->checkOneLeader();

    int total1 = rpcs();

    if (total1 > 30 || total1 < 1) fatal("too many or few RPCs (" + std::to_string(total1) + ") to elect initial leader\n");

    int total2 = 0;
    bool success = false;
    for (int tryi = 0; tryi < 5; tryi++) {
      if (tryi > 0) {
        // Let the cluster calm down before the next attempt.
        lab::sleep_for(3s);
      }

      leader = cfg->checkOneLeader();
      total1 = rpcs();

      const int iters = 10;
      auto [starti, term, ok] = cfg->rafts(leader)->Start(1);
      if (!ok) {
        // Leadership was already lost; try again.
        continue;
      }
      std::vector<std::int64_t> cmds;
      bool moved = false;
      for (int i = 1; i < iters + 2; i++) {
        std::int64_t x = static_cast<std::int64_t>(lab::rand_u64() & 0x7fffffff);  // Go's rand.Int31()
        cmds.push_back(x);
        auto [index1, term1, ok1] = cfg->rafts(leader)->Start(x);
        if (term1 != term) {
          // The term moved on during the Start() calls.
          moved = true;
          break;
        }
        if (!ok1) {
          // Leadership was lost, so there is a new term.
          moved = true;
          break;
        }
        if (starti + i != index1) fatal("Start() failed");
      }
      if (moved) continue;

      bool failed = false;
      for (int i = 1; i < iters + 1; i++) {
        Command cmd = cfg->wait(starti + i, servers, term);
        if (!(cmd.is_int() && cmd.as_int() == cmds[static_cast<std::size_t>(i - 1)])) {
          if (cmd == Command(-1)) {
            // A new term began; retry.
            failed = true;
            break;
          }
          std::string list = "[";
          for (std::size_t k = 0; k < cmds.size(); k++) list += (k ? " " : "") + std::to_string(cmds[k]);
          fatal("wrong value " + str(cmd) + " committed for index " + std::to_string(starti + i) + "; expected " +
                list + "]\n");
        }
      }
      if (failed) continue;

      failed = false;
      total2 = 0;
      for (int j = 0; j < servers; j++) {
        auto [t, unused] = cfg->rafts(j)->GetState();
        if (t != term) {
          // A new term makes the RPC count meaningless; finish the loop
          // anyway so that total2 is complete.
          failed = true;
        }
        total2 += cfg->rpcCount(j);
      }

      if (failed) continue;

      if (total2 - total1 > (iters + 1 + 3) * 3)
        fatal("too many RPCs (" + std::to_string(total2 - total1) + ") for " + std::to_string(iters) + " entries\n");

      success = true;
      break;
    }

    if (!success) fatal("term changed too often");

    lab::sleep_for(RaftElectionTimeout);

    int total3 = 0;
    for (int j = 0; j < servers; j++) total3 += cfg->rpcCount(j);

    if (total3 - total2 > 3 * 20)
      fatal("too many RPCs (" + std::to_string(total3 - total2) + ") for 1 second of idleness\n");

    cfg->end();
  });
}

BOOST_AUTO_TEST_SUITE_END()
