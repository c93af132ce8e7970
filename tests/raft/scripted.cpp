// Scripted scenarios: the paper's traps, played step by step. The tester
// steers who may win an election and which message arrives when, through
// labrpc's message control (Config::control), and checks what every correct
// Raft must then do. Each test exists for one classic bug and fails a Raft
// with that bug on every seed.
//
// Not part of the lab's suite (disabled by default, so the 28 ported tests
// and `make lab` are unchanged). Run them by name:
//
//   build/sim/raft_tests --run_test=scripted
//   make lab TEST='scripted/*'              # MODE=real works too
//
// The steps use only what the harness knows of any Raft: the RPC names, the
// servers at both ends, Start, GetState and what is applied; never the
// fields inside a message.
#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/raft/common.hpp"

using namespace raft_tests;

namespace {

using labrpc::Decision;
using Rpc = Config::Rpc;

const std::string kAppend = "Raft.AppendEntries";
const std::string kVote = "Raft.RequestVote";

// One message as the wire saw it, with what was decided for it.
struct Seen {
  Rpc rpc;
  Decision decision;
};

// The test's hand on the wire. Only the servers allowed to stand may ask for
// votes (their RequestVote requests are the only ones delivered), which
// decides every election without touching Raft's timers; a rule set by the
// test decides every other message. The rule runs on the sending activity,
// with no lock held (so it may ask a server its state), possibly on several
// activities at once in real time: what it keeps, it captures by value and
// keeps in atomics.
class Wire {
 public:
  using Rule = std::function<Decision(const Rpc&)>;

  static std::shared_ptr<Wire> make(const std::shared_ptr<Config>& cfg) {
    auto w = std::shared_ptr<Wire>(new Wire(cfg->n));
    // The network drops its control at cleanup, which ends this cycle.
    cfg->control([w](const Rpc& m) { return w->decide(m); });
    return w;
  }

  void mayStand(const std::set<int>& servers) {
    lab::MutexLock lk(mu_);
    for (std::size_t i = 0; i < mayStand_.size(); i++) mayStand_[i] = servers.count(static_cast<int>(i)) > 0;
  }
  void rule(Rule r) {
    lab::MutexLock lk(mu_);
    rule_ = std::move(r);
  }
  // How many messages were seen so far: a starting point for waitFor.
  std::size_t mark() {
    lab::MutexLock lk(mu_);
    return seen_.size();
  }
  // The first message seen at or after `from` that pred accepts; fails the
  // test with `what` if none comes within `limit`.
  Seen waitFor(std::size_t from, const std::function<bool(const Seen&)>& pred, lab::Duration limit,
               const std::string& what) {
    lab::MutexLock lk(mu_);
    const lab::Duration deadline = lab::now() + limit;
    for (std::size_t k = from;; k++) {
      while (k >= seen_.size())
        if (!cv_.wait_until(mu_, deadline) && k >= seen_.size())
          fatal("scripted: " + what + " did not happen within " +
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) + " ms");
      if (pred(seen_[k])) return seen_[k];
    }
  }

 private:
  explicit Wire(int n) : mayStand_(static_cast<std::size_t>(n), true) {}

  Decision decide(const Rpc& m) {
    Rule rule;
    Decision d = Decision::Deliver;
    {
      lab::MutexLock lk(mu_);
      if (!m.reply && m.method == kVote && !mayStand_[static_cast<std::size_t>(m.from)])
        d = Decision::Drop;
      else
        rule = rule_;
    }
    if (rule) d = rule(m);
    lab::MutexLock lk(mu_);
    seen_.push_back({m, d});
    cv_.notify_all();
    return d;
  }

  lab::Mutex mu_;
  lab::CondVar cv_;
  std::vector<bool> mayStand_ LAB_GUARDED_BY(mu_);
  Rule rule_ LAB_GUARDED_BY(mu_);
  std::vector<Seen> seen_ LAB_GUARDED_BY(mu_);
};

bool isAppend(const Seen& s, int from, int to) {
  return s.rpc.method == kAppend && s.rpc.from == from && s.rpc.to == to;
}

// Lets only `who` stand, and waits for it to win: checkOneLeader must find
// it. Returns the term it won.
int elect(Config& cfg, Wire& wire, int who) {
  wire.mayStand({who});
  const int leader = cfg.checkOneLeader();
  if (leader != who)
    fatal("scripted: only server " + std::to_string(who) + " may stand, but server " + std::to_string(leader) +
          " leads");
  return cfg.rafts(who)->GetState().term;
}

// Start(cmd) on server i, which must lead and put cmd at `index`.
raftapi::StartResult startAt(Config& cfg, int i, int cmd, int index) {
  const auto r = cfg.rafts(i)->Start(cmd);
  if (!r.isLeader) fatal("scripted: server " + std::to_string(i) + " should lead, but Start() says it does not");
  if (r.index != index)
    fatal("scripted: server " + std::to_string(i) + " put command " + std::to_string(cmd) + " at index " +
          std::to_string(r.index) + ", expected " + std::to_string(index));
  return r;
}

std::string str(const Command& c) {
  std::ostringstream os;
  os << c;
  return os.str();
}

// Index `index` must hold cmd on `count` servers (checked when it is known to be committed).
void expectCommitted(Config& cfg, int index, int cmd, int count) {
  auto [nd, got] = cfg.nCommitted(index);
  if (nd < count || got != Command(cmd))
    fatal("scripted: index " + std::to_string(index) + " should hold " + std::to_string(cmd) + " on " +
          std::to_string(count) + " servers, found " + str(got) + " on " + std::to_string(nd));
}

// The paper's Figure 8, (a) to (c), on five servers: the paper's S1..S5 are
// servers 0..4. Entry 1 is first committed everywhere, so that every log
// starts alike.
void figure8abc(Config& cfg, Wire& wire) {
  const int servers = 5;
  elect(cfg, wire, 0);
  if (cfg.one(101, servers, false) != 1) fatal("scripted: the first command should be at index 1");

  // (a) S1 leads and replicates the entry at index 2 to S2 only.
  for (int i : {2, 3, 4}) cfg.disconnect(i);
  const int ta = startAt(cfg, 0, 102, 2).term;
  lab::sleep_for(RaftElectionTimeout);
  if (auto [nd, cmd] = cfg.nCommitted(2); nd > 0)
    fatal("scripted: Figure 8 (a): index 2 was applied (" + str(cmd) + ") while only 2 of 5 servers could have it");

  // (b) S1 crashes; S5 wins the next term with the votes of S3, S4 and its
  // own, and takes a different entry at index 2, which only it stores.
  cfg.crash1(0);
  cfg.disconnect(1);
  for (int i : {2, 3, 4}) cfg.connect(i);
  elect(cfg, wire, 4);
  cfg.disconnect(4);
  startAt(cfg, 4, 103, 2);
  lab::sleep_for(RaftElectionTimeout / 2);  // time to persist it, for a Raft that does so lazily
  cfg.crash1(4);

  // (c) S5 crashes; S1 restarts, wins a later term with the votes of S2 and
  // S3 (its log is longer), and goes on replicating: its entry of term ta at
  // index 2 reaches S3 and so sits on a majority (S1, S2, S3). The leader
  // has no entry of its own term, so nothing may commit: a leader commits
  // an entry of an earlier term only by committing one of its own after it
  // (§5.4.2). A Raft that counts replicas commits 102 here.
  cfg.start1(0, &Config::applier);
  cfg.connect(0);
  cfg.connect(1);
  const int tc = elect(cfg, wire, 0);
  lab::sleep_for(RaftElectionTimeout);
  if (auto [nd, cmd] = cfg.nCommitted(2); nd > 0)
    fatal("scripted: Figure 8 (c): index 2 was applied (" + str(cmd) + ", appended in term " + std::to_string(ta) +
          ") by " + std::to_string(nd) + " server(s) while the leader of term " + std::to_string(tc) +
          " had no entry of its own term; an entry of an earlier term is committed only by committing one of the "
          "current term after it (§5.4.2), never by counting its replicas");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scripted, *boost::unit_test::disabled())

// Figure 8 (a)-(d): an entry of an earlier term that sits on a majority is
// not committed (c), because a later leader may still replace it (d).
BOOST_AUTO_TEST_CASE(Figure8_commitRule_earlierTermNotCounted) {
  runTest([] {
    const int servers = 5;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);
    auto wire = Wire::make(cfg);
    cfg->begin("Scripted: Figure 8 (a)-(d), an earlier term's entry is not committed by counting");
    cfg->exercises(Scenario::kLeaderChanged);
    cfg->exercises(Scenario::kEntryOverwritten);

    figure8abc(*cfg, *wire);

    // (d) S1 crashes; S5 restarts and wins with the votes of S2, S3 and S4
    // (its last entry's term is the higher), and its entry at index 2
    // replaces S1's everywhere: it commits with S5's first entry of its term.
    cfg->crash1(0);
    cfg->start1(4, &Config::applier);
    cfg->connect(4);
    elect(*cfg, *wire, 4);
    if (int index = cfg->one(104, servers - 1, false); index != 3)
      fatal("scripted: Figure 8 (d): S5's new entry went to index " + std::to_string(index) + ", expected 3");
    expectCommitted(*cfg, 2, 103, servers - 1);

    // S1 comes back and its entry at index 2 is replaced too.
    cfg->start1(0, &Config::applier);
    cfg->connect(0);
    cfg->one(105, servers, true);
    expectCommitted(*cfg, 2, 103, servers);

    cfg->end();
  });
}

// Figure 8 (e): once the leader of (c) commits an entry of its own term, the
// earlier entry at index 2 is committed with it, and S5 can no longer win.
BOOST_AUTO_TEST_CASE(Figure8_commitRule_ownTermCommitsEarlier) {
  runTest([] {
    const int servers = 5;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);
    auto wire = Wire::make(cfg);
    cfg->begin("Scripted: Figure 8 (e), an entry of the leader's term commits the earlier ones");
    cfg->exercises(Scenario::kLeaderChanged);

    figure8abc(*cfg, *wire);

    // (e) S1 replicates an entry of its own term to a majority before it
    // crashes: index 3 commits, and index 2 with it.
    if (int index = cfg->one(104, servers - 1, false); index != 3)
      fatal("scripted: Figure 8 (e): S1's new entry went to index " + std::to_string(index) + ", expected 3");
    expectCommitted(*cfg, 2, 102, servers - 1);

    // S5, back with its entry of term tb at index 2, asks S2, S3 and S4 for
    // votes; each has a last entry of a later term, so none may grant it,
    // and no server may lead. Should S5 claim to lead all the same, its
    // appends reach nobody, so that the claim itself is what fails.
    cfg->crash1(0);
    wire->rule([](const Rpc& m) {
      return !m.reply && m.from == 4 && m.method == kAppend ? Decision::Drop : Decision::Deliver;
    });
    cfg->start1(4, &Config::applier);
    cfg->connect(4);
    wire->mayStand({4});
    for (lab::Duration t0 = lab::now(); lab::now() - t0 < 2 * RaftElectionTimeout;) {
      cfg->checkNoLeader();
      lab::sleep_for(10ms);
    }

    // Any of the others may then lead; the committed entries stay.
    wire->rule(nullptr);
    wire->mayStand({0, 1, 2, 3, 4});
    cfg->one(105, servers - 1, true);
    expectCommitted(*cfg, 2, 102, servers - 1);
    expectCommitted(*cfg, 3, 104, servers - 1);

    cfg->end();
  });
}

// A stale AppendEntries, delivered after a newer one of the same leader,
// must not cut the follower's log: its entries match, and the entries after
// them were acknowledged, and maybe counted for a commit (Figure 2,
// AppendEntries receiver, step 3: delete only on a conflict).
BOOST_AUTO_TEST_CASE(StaleAppend_matchingEntries_notTruncated) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);
    auto wire = Wire::make(cfg);
    cfg->begin("Scripted: a stale, reordered AppendEntries does not truncate");
    cfg->exercises(Scenario::kLeaderChanged);

    // Leader 0, follower 1; server 2 is away, so every commit needs server 1.
    elect(*cfg, *wire, 0);
    if (cfg->one(101, servers, false) != 1) fatal("scripted: the first command should be at index 1");
    cfg->disconnect(2);

    // Hold the first append from 0 to 1 after Start(102): it carries index 2.
    auto held = std::make_shared<std::atomic<bool>>(false);
    wire->rule([held](const Rpc& m) {
      if (m.reply || m.method != kAppend || m.from != 0 || m.to != 1 || held->exchange(true))
        return Decision::Deliver;
      return Decision::Hold;
    });
    std::size_t mark = wire->mark();
    startAt(*cfg, 0, 102, 2);
    const Seen stale = wire->waitFor(
        mark, [](const Seen& s) { return isAppend(s, 0, 1) && s.decision == Decision::Hold; }, RaftElectionTimeout,
        "an AppendEntries from leader 0 to server 1 after Start(102)");

    // Start(103); a later append (indexes 2 and 3) reaches 1 and its
    // success lets 0 commit index 3. From that reply on, every append from 0
    // to 1 is held, so 1 does not learn of the commit.
    // Calls are numbered as they begin: a reply to call `first` or a later
    // one answers an append sent under this rule.
    struct Progress {
      std::atomic<std::uint64_t> first{0};
      std::atomic<bool> replied{false};
    };
    auto p = std::make_shared<Progress>();
    wire->rule([p](const Rpc& m) {
      if (m.method != kAppend || m.from != 0 || m.to != 1) return Decision::Deliver;
      if (p->replied) return m.reply ? Decision::Deliver : Decision::Hold;
      std::uint64_t none = 0;
      if (!m.reply)
        p->first.compare_exchange_strong(none, m.call);
      else if (p->first != 0 && m.call >= p->first)
        p->replied = true;
      return Decision::Deliver;
    });
    startAt(*cfg, 0, 103, 3);
    cfg->wait(3, 1, -1);  // applied by 0 only: 1 has not heard of the commit, 2 is away

    // Now the stale append arrives: index 2 again, which matches. Server 1
    // must keep index 3.
    mark = wire->mark();
    cfg->release(stale.rpc.call, true);
    wire->waitFor(
        mark, [&](const Seen& s) { return s.rpc.reply && s.rpc.call == stale.rpc.call; }, RaftElectionTimeout,
        "the reply to the stale AppendEntries");

    // 0 crashes; 1 wins with 2's vote. With index 3 kept, its next entry
    // goes to index 4; a follower that cut its log puts it at index 3, over
    // the committed 103.
    cfg->crash1(0);
    wire->rule(nullptr);
    cfg->connect(2);
    elect(*cfg, *wire, 1);
    if (int index = cfg->one(104, servers - 1, false); index != 4)
      fatal("scripted: the new leader put its first entry at index " + std::to_string(index) +
            ", expected 4: the committed entry at index 3 was lost");
    expectCommitted(*cfg, 3, 103, servers - 1);

    cfg->end();
  });
}

// A vote granted in one election must not count in a later one (Figure 2,
// Candidates: "votes received from majority of servers" means votes of this
// term). Server 0 stands and server 1 votes for it; that reply is held until
// server 0 stands again in a later term, which nobody hears of. A candidate
// that counts the old vote declares itself leader of a term in which no
// other server has even been: no majority can have voted for it.
BOOST_AUTO_TEST_CASE(StaleVote_earlierTermReply_notCounted) {
  runTest([] {
    const int servers = 3;
    auto cfg = make_config(servers, false, false);
    Cleanup cleanup(cfg);
    auto wire = Wire::make(cfg);
    cfg->begin("Scripted: a vote reply from an earlier term is not counted");

    // Only 0 may stand, and only 1 hears it. 1's term rises only when a
    // real vote request reaches it (nobody else talks to it, and asking
    // whether it would vote changes nothing): the first reply after that
    // answers 0's request for a real vote. Hold it.
    wire->mayStand({0});
    auto r0 = cfg->rafts(0);
    auto r1 = cfg->rafts(1);
    auto staleTerm = std::make_shared<std::atomic<int>>(0);
    wire->rule([r0, r1, staleTerm](const Rpc& m) {
      const int t = staleTerm->load();
      // Once the vote is held, nothing 0 sends as a leader reaches anyone:
      // the others' terms show which elections they took part in.
      if (t != 0 && !m.reply && m.from == 0 && m.method == kAppend) return Decision::Drop;
      if (m.method != kVote) return Decision::Deliver;
      if (!m.reply && m.from == 0 && m.to == 2) return Decision::Drop;
      if (t == 0) {
        int none = 0;
        if (m.reply && m.from == 0 && m.to == 1)
          if (const int term1 = r1->GetState().term; term1 > 0 && staleTerm->compare_exchange_strong(none, term1))
            return Decision::Hold;
        return Decision::Deliver;
      }
      // Then 0 may ask again whether it could win (its term unchanged), but
      // a request it sends from a later term reaches nobody.
      if (!m.reply && m.from == 0 && r0->GetState().term > t) return Decision::Drop;
      return Decision::Deliver;
    });
    const Seen held = wire->waitFor(
        0, [](const Seen& s) { return s.rpc.method == kVote && s.rpc.reply && s.decision == Decision::Hold; },
        10 * RaftElectionTimeout, "a vote of server 1 for server 0");
    const int t = r1->GetState().term;

    // Wait until 0 stands in a later term, then deliver the old vote.
    const lab::Duration deadline = lab::now() + 10 * RaftElectionTimeout;
    while (r0->GetState().term <= t) {
      if (lab::now() > deadline) fatal("scripted: server 0 did not stand again after term " + std::to_string(t));
      lab::sleep_for(10ms);
    }
    cfg->release(held.rpc.call, true);

    // To lead a term, a majority must have voted in it, so some other
    // server must have reached that term.
    for (int k = 0; k < 50; k++) {
      auto [term0, leader0] = r0->GetState();
      if (leader0) {
        const int term1 = r1->GetState().term, term2 = cfg->rafts(2)->GetState().term;
        if (term1 < term0 && term2 < term0)
          fatal("scripted: server 0 leads term " + std::to_string(term0) + ", but servers 1 and 2 are in terms " +
                std::to_string(term1) + " and " + std::to_string(term2) +
                ": no majority voted in its term (a vote granted in term " + std::to_string(t) + " was counted)");
      }
      lab::sleep_for(10ms);
    }

    // Then anyone may stand, and the cluster agrees.
    wire->rule(nullptr);
    wire->mayStand({0, 1, 2});
    cfg->one(101, servers, true);

    cfg->end();
  });
}

BOOST_AUTO_TEST_SUITE_END()
