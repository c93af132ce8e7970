// A test that fails on purpose, for the failure timeline's own check
// (scripts/test-timeline). Disabled: it runs only when named,
//   build/sim/raft_tests --run_test=TimelineDemo/TimelineDemo_failsOnPurpose
// and then writes build/timelines/TimelineDemo_failsOnPurpose-<backend>-<seed>.html.
#include "raftapi/report.hpp"
#include "tests/raft/common.hpp"

using namespace raft_tests;

BOOST_AUTO_TEST_SUITE(TimelineDemo, *boost::unit_test::disabled())

BOOST_AUTO_TEST_CASE(TimelineDemo_failsOnPurpose) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);
    cfg->begin("Timeline demo: a small cluster, then a deliberate failure");
    cfg->one(101, servers, false);
    int leader = cfg->checkOneLeader();
    raftapi::annotate(leader, "demo: disconnecting this leader");
    cfg->disconnect(leader);
    cfg->one(102, servers - 1, true);
    cfg->connect(leader);
    cfg->crash1((leader + 1) % servers);
    cfg->start1((leader + 1) % servers, &Config::applier);
    cfg->connect((leader + 1) % servers);
    cfg->one(103, servers, true);
    cfg->checkOneLeader();
    fatal("deliberate failure: the timeline test checks that this message is drawn");
  });
}

BOOST_AUTO_TEST_SUITE_END()
