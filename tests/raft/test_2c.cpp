// Part 2C: persistence (the 2C tests of Go's src/raft/test_test.go). Where
// the later editions changed a test's steps (tester/edition.hpp), both are here.
#include <atomic>
#include <optional>

#include "tests/raft/common.hpp"

using namespace raft_tests;

BOOST_AUTO_TEST_SUITE(Raft2C, *raft_tests::part("2C"))

BOOST_AUTO_TEST_CASE(TestPersist12C) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2C): basic persistence");
    cfg->exercises(Scenario::kRestartCaughtUp);

    cfg->one(11, servers, true);

    if (!tester::edition().persistCrashes) {
      // 2023: a server is cut off, then restarted later; while cut off it
      // may still raise and save its term.

      // Restart every peer from its saved state.
      for (int i = 0; i < servers; i++) cfg->start1(i, &Config::applier);
      for (int i = 0; i < servers; i++) {
        cfg->disconnect(i);
        cfg->connect(i);
      }

      cfg->one(12, servers, true);

      int leader1 = cfg->checkOneLeader();
      cfg->disconnect(leader1);
      cfg->start1(leader1, &Config::applier);
      cfg->connect(leader1);

      cfg->one(13, servers, true);

      int leader2 = cfg->checkOneLeader();
      cfg->disconnect(leader2);
      cfg->one(14, servers - 1, true);
      cfg->start1(leader2, &Config::applier);
      cfg->connect(leader2);

      cfg->wait(4, servers, -1);  // leader2 must have caught up before i3 goes down

      int i3 = (cfg->checkOneLeader() + 1) % servers;
      cfg->disconnect(i3);
      cfg->one(15, servers - 1, true);
      cfg->start1(i3, &Config::applier);
      cfg->connect(i3);
    } else {
      // 2025 and later: the same steps with crashes, so a server is down
      // from the moment it leaves.
      for (int i = 0; i < servers; i++) cfg->crash1(i);
      cfg->startServers(&Config::applier);

      cfg->one(12, servers, true);

      int leader1 = cfg->checkOneLeader();
      cfg->crash1(leader1);
      cfg->restart(leader1, &Config::applier);

      cfg->one(13, servers, true);

      int leader2 = cfg->checkOneLeader();
      cfg->crash1(leader2);
      cfg->one(14, servers - 1, true);
      cfg->restart(leader2, &Config::applier);

      cfg->wait(4, servers, -1);  // leader2 must have caught up before i3 goes down

      int i3 = (cfg->checkOneLeader() + 1) % servers;
      cfg->crash1(i3);
      cfg->one(15, servers - 1, true);
      cfg->restart(i3, &Config::applier);
    }

    cfg->one(16, servers, true);

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestPersist22C) {
  runTest([] {
    const int servers = 5;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2C): more persistence");
    cfg->exercises(Scenario::kRestartCaughtUp);

    // 2023 cuts servers off and restarts some of them later (the last two
    // only come back); 2025 and later crash them and restart all five.
    const bool crashes = tester::edition().persistCrashes;
    auto down = [&](int i) {
      if (crashes)
        cfg->crash1(i);
      else
        cfg->disconnect(i);
    };

    int index = 1;
    for (int iters = 0; iters < 5; iters++) {
      cfg->one(10 + index, servers, true);
      index++;

      int leader1 = cfg->checkOneLeader();

      down((leader1 + 1) % servers);
      down((leader1 + 2) % servers);

      cfg->one(10 + index, servers - 2, true);
      index++;

      down((leader1 + 0) % servers);
      down((leader1 + 3) % servers);
      down((leader1 + 4) % servers);

      if (!crashes) {
        cfg->start1((leader1 + 1) % servers, &Config::applier);
        cfg->start1((leader1 + 2) % servers, &Config::applier);
        cfg->connect((leader1 + 1) % servers);
        cfg->connect((leader1 + 2) % servers);
      } else {
        cfg->restart((leader1 + 1) % servers, &Config::applier);
        cfg->restart((leader1 + 2) % servers, &Config::applier);
      }

      lab::sleep_for(RaftElectionTimeout);

      if (!crashes) {
        cfg->start1((leader1 + 3) % servers, &Config::applier);
        cfg->connect((leader1 + 3) % servers);
      } else {
        cfg->restart((leader1 + 3) % servers, &Config::applier);
      }

      cfg->one(10 + index, servers - 2, true);
      index++;

      if (!crashes) {
        cfg->connect((leader1 + 4) % servers);
        cfg->connect((leader1 + 0) % servers);
      } else {
        cfg->restart((leader1 + 4) % servers, &Config::applier);
        cfg->restart((leader1 + 0) % servers, &Config::applier);
      }
    }

    cfg->one(1000, servers, true);

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestPersist32C) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2C): partitioned leader and one follower crash, leader restarts");
    cfg->exercises(Scenario::kRestartCaughtUp);

    cfg->one(101, 3, true);

    int leader = cfg->checkOneLeader();
    cfg->disconnect((leader + 2) % servers);

    cfg->one(102, 2, true);

    cfg->crash1((leader + 0) % servers);
    cfg->crash1((leader + 1) % servers);
    cfg->connect((leader + 2) % servers);
    cfg->restart((leader + 0) % servers, &Config::applier);

    cfg->one(103, 2, true);

    cfg->restart((leader + 1) % servers, &Config::applier);

    cfg->one(104, servers, true);

    cfg->end();
  });
}

// Replays the situations of Figure 8 in the extended Raft paper. In every
// round each live peer is offered a command, and the one that accepts it as
// leader, if any, is crashed: usually after a very short pause, so the command
// has probably not committed yet, and in one round of ten after a longer
// pause, so it probably has. When fewer than a majority are alive, a crashed peer
// may be restarted. A leader of a later term will then find uncommitted
// entries of earlier terms that it may try to replicate; only a correct
// commit rule keeps that safe.
BOOST_AUTO_TEST_CASE(TestFigure82C) {
  runTest([] {
    const int servers = 5;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2C): Figure 8");
    cfg->exercises(Scenario::kRestartCaughtUp);
    cfg->exercises(Scenario::kEntryOverwritten);
    cfg->exercises(Scenario::kTermsOverwritten);

    cfg->one(randInt(), 1, true);

    int nup = servers;
    for (int iters = 0; iters < 1000; iters++) {
      int leader = -1;
      for (int i = 0; i < servers; i++) {
        if (auto rf = cfg->rafts(i)) {
          auto [unused1, unused2, ok] = rf->Start(randInt());
          if (ok) leader = i;
        }
      }

      if (lab::rand_intn(1000) < 100) {
        std::int64_t ms = lab::rand_intn(RaftElectionTimeout / 1ms / 2);
        lab::sleep_for(std::chrono::milliseconds(ms));
      } else {
        std::int64_t ms = lab::rand_intn(13);
        lab::sleep_for(std::chrono::milliseconds(ms));
      }

      if (leader != -1) {
        cfg->crash1(leader);
        nup -= 1;
      }

      if (nup < 3) {
        int s = static_cast<int>(lab::rand_intn(servers));
        if (!cfg->rafts(s)) {
          cfg->restart(s, &Config::applier);
          nup += 1;
        }
      }
    }

    for (int i = 0; i < servers; i++) {
      if (!cfg->rafts(i)) cfg->restart(i, &Config::applier);
    }

    cfg->one(randInt(), servers, true);

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestUnreliableAgree2C) {
  runTest([] {
    const int servers = 5;
    auto cfg = make_config(servers, true, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2C): unreliable agreement");
    cfg->exercises(Scenario::kLeaderElected);

    auto wg = std::make_shared<tester::WaitGroup>();  // shared: starters may outlive a failed test

    for (int iters = 1; iters < 50; iters++) {
      for (int j = 0; j < 4; j++) {
        wg->Add(1);
        lab::go("one", [wg, cfg, iters, j] {
          cfg->one((100 * iters) + j, 1, true);
          wg->Done();
        });
      }
      cfg->one(iters, 1, true);
    }

    cfg->setunreliable(false);

    wg->Wait();

    cfg->one(100, servers, true);

    cfg->end();
  });
}

BOOST_AUTO_TEST_CASE(TestFigure8Unreliable2C) {
  runTest([] {
    const int servers = 5;
    auto cfg = make_config(servers, true, false);
    Cleanup cleanup(cfg);

    cfg->begin("Test (2C): Figure 8 (unreliable)");
    cfg->exercises(Scenario::kEntryOverwritten);
    cfg->exercises(Scenario::kTermsOverwritten);

    cfg->one(lab::rand_intn(10000), 1, true);

    int nup = servers;
    for (int iters = 0; iters < 1000; iters++) {
      if (iters == 200) cfg->setlongreordering(true);
      int leader = -1;
      for (int i = 0; i < servers; i++) {
        auto [unused1, unused2, ok] = cfg->rafts(i)->Start(lab::rand_intn(10000));
        if (ok && cfg->connected(i)) leader = i;
      }

      if (lab::rand_intn(1000) < 100) {
        std::int64_t ms = lab::rand_intn(RaftElectionTimeout / 1ms / 2);
        lab::sleep_for(std::chrono::milliseconds(ms));
      } else {
        std::int64_t ms = lab::rand_intn(13);
        lab::sleep_for(std::chrono::milliseconds(ms));
      }

      if (leader != -1 && lab::rand_intn(1000) < int(RaftElectionTimeout / 1ms) / 2) {
        cfg->disconnect(leader);
        nup -= 1;
      }

      if (nup < 3) {
        int s = static_cast<int>(lab::rand_intn(servers));
        if (!cfg->connected(s)) {
          cfg->connect(s);
          nup += 1;
        }
      }
    }

    for (int i = 0; i < servers; i++)
      if (!cfg->connected(i)) cfg->connect(i);

    cfg->one(lab::rand_intn(10000), servers, true);

    cfg->end();
  });
}

namespace {

void internalChurn(bool unreliable) {
  const int servers = 5;
  auto cfg = make_config(servers, unreliable, false);
  Cleanup cleanup(cfg);

  if (unreliable)
    cfg->begin("Test (2C): unreliable churn");
  else
    cfg->begin("Test (2C): churn");
  cfg->exercises(Scenario::kRestartCaughtUp);

  auto stop = std::make_shared<std::atomic<int>>(0);

  // Each client keeps submitting commands until told to stop.
  auto cfn = [cfg, stop](int me, std::shared_ptr<lab::Chan<std::optional<std::vector<std::int64_t>>>> ch) {
    std::vector<std::int64_t> values;
    while (stop->load() == 0) {
      std::int64_t x = randInt();
      int index = -1;
      bool ok = false;
      for (int i = 0; i < servers; i++) {
        // Offer the value to every live peer; whichever is leader takes it.
        auto rf = cfg->rafts(i);
        if (rf) {
          auto [index1, unused, ok1] = rf->Start(x);
          if (ok1) {
            ok = ok1;
            index = index1;
          }
        }
      }
      if (ok) {
        // The value may or may not end up committed, so poll a bounded number
        // of times.
        for (auto to : {10, 20, 50, 100, 200}) {
          auto [nd, cmd] = cfg->nCommitted(index);
          if (nd > 0) {
            if (cmd.is_int()) {
              if (cmd.as_int() == x) values.push_back(x);
            } else {
              fatal("wrong command type");
            }
            break;
          }
          lab::sleep_for(std::chrono::milliseconds(to));
        }
      } else {
        lab::sleep_for(std::chrono::milliseconds(79 + me * 17));
      }
    }
    ch->send(std::move(values));
  };

  const int ncli = 3;
  std::vector<std::shared_ptr<lab::Chan<std::optional<std::vector<std::int64_t>>>>> cha;
  for (int i = 0; i < ncli; i++) {
    cha.push_back(std::make_shared<lab::Chan<std::optional<std::vector<std::int64_t>>>>());
    auto ch = cha.back();
    lab::go("churn client", [cfn, i, ch] { cfn(i, ch); });
  }

  for (int iters = 0; iters < 20; iters++) {
    if (lab::rand_intn(1000) < 200) {
      int i = static_cast<int>(lab::rand_intn(servers));
      cfg->disconnect(i);
    }

    if (lab::rand_intn(1000) < 500) {
      int i = static_cast<int>(lab::rand_intn(servers));
      // Go connects i after the restart too; restart() has connected it
      // already (in 2025 with every other server).
      if (!cfg->rafts(i))
        cfg->restart(i, &Config::applier);
      else
        cfg->connect(i);
    }

    if (lab::rand_intn(1000) < 200) {
      int i = static_cast<int>(lab::rand_intn(servers));
      if (cfg->rafts(i)) cfg->crash1(i);
    }

    // The pause between changes: short enough that the cluster is often
    // still reacting to the previous change, long enough that it can
    // usually keep up. Somewhat below the election timeout.
    lab::sleep_for((RaftElectionTimeout * 7) / 10);
  }

  lab::sleep_for(RaftElectionTimeout);
  cfg->setunreliable(false);
  for (int i = 0; i < servers; i++) {
    if (!cfg->rafts(i))
      cfg->restart(i, &Config::applier);
    else
      cfg->connect(i);
  }

  stop->store(1);

  std::vector<std::int64_t> values;
  for (int i = 0; i < ncli; i++) {
    auto vv = cha[static_cast<std::size_t>(i)]->recv();
    if (!vv || !*vv) fatal("client failed");
    values.insert(values.end(), (*vv)->begin(), (*vv)->end());
  }

  lab::sleep_for(RaftElectionTimeout);

  int lastIndex = cfg->one(randInt(), servers, true);

  std::vector<std::int64_t> really(static_cast<std::size_t>(lastIndex + 1), 0);
  for (int index = 1; index <= lastIndex; index++) {
    Command v = cfg->wait(index, servers, -1);
    if (v.is_int())
      really.push_back(v.as_int());
    else
      fatal("not an int");
  }

  for (auto v1 : values) {
    bool ok = false;
    for (auto v2 : really)
      if (v1 == v2) ok = true;
    if (!ok) fatal("didn't find a value");
  }

  cfg->end();
}

}  // namespace

BOOST_AUTO_TEST_CASE(TestReliableChurn2C) { runTest([] { internalChurn(false); }); }

BOOST_AUTO_TEST_CASE(TestUnreliableChurn2C) { runTest([] { internalChurn(true); }); }

BOOST_AUTO_TEST_SUITE_END()
