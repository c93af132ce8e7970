// The Raft tester: golab-spec §5, step by step. Comments name the Go
// behaviour where C++ has to choose.
#include "tester/config.hpp"

#include "raftapi/debug.hpp"

#include <boost/serialization/vector.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <thread>

namespace tester {

using namespace std::chrono_literals;

namespace {

// Go's %v of a map[int]interface{}: map[1:101 2:102], keys in order.
std::string formatMap(const std::map<int, Command>& m) {
  std::ostringstream os;
  os << "map[";
  bool first = true;
  for (const auto& [k, v] : m) {
    os << (first ? "" : " ") << k << ":" << v;
    first = false;
  }
  os << "]";
  return os.str();
}

std::string str(const Command& c) {
  std::ostringstream os;
  os << c;
  return os.str();
}

// Go's log.Printf: a "YYYY/MM/DD hh:mm:ss " prefix.
void logPrintf(const std::string& line) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y/%m/%d %H:%M:%S", &tm);
  std::printf("%s %s\n", stamp, line.c_str());
  std::fflush(stdout);
}

double seconds(lab::Duration d) { return std::chrono::duration<double>(d).count(); }

labrpc::Name serverName(int i) { return labrpc::Name{std::int64_t{i}}; }

// What the snapshot applier hands Raft: the index, then the tester's log
// through it (element 0 is nil). Raft treats the bytes as opaque.
struct SnapshotData {
  int lastIncludedIndex = 0;
  std::vector<Command> xlog;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & lastIncludedIndex & xlog;
  }
};

}  // namespace

std::int64_t randInt() { return static_cast<std::int64_t>(lab::rand_u64() >> 1); }

std::string randstring(int n) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string s;
  for (int i = 0; i < n; i++) s += alphabet[lab::rand_intn(64)];
  return s;
}

void fatal(const std::string& msg) { lab::fail(msg); }

std::shared_ptr<Config> make_config(int n, bool unreliable, bool snapshot) {
  static const bool warned = [] {
    // A query of the machine, not a thread: safe in both backends.
    if (std::thread::hardware_concurrency() < 2) std::printf("warning: only one CPU, which may conceal locking bugs\n");
    return true;
  }();
  (void)warned;
  auto cfg = std::make_shared<Config>(n, unreliable, snapshot);
  Config::Applier applier = snapshot ? &Config::applierSnap : &Config::applier;
  // create a full set of Rafts.
  for (int i = 0; i < n; i++) cfg->start1(i, applier);
  // connect everyone
  for (int i = 0; i < n; i++) cfg->connect(i);
  return cfg;
}

Config::Config(int n_, bool unreliable, bool /*snapshot*/) : n(n_), net_(labrpc::MakeNetwork()), tl_(Timeline::make(n_)) {
  lab::MutexLock lk(mu_);
  rafts_.resize(static_cast<std::size_t>(n));
  applyErr_.resize(static_cast<std::size_t>(n));
  connected_.assign(static_cast<std::size_t>(n), false);
  saved_.resize(static_cast<std::size_t>(n));
  endnames_.resize(static_cast<std::size_t>(n));
  logs_.resize(static_cast<std::size_t>(n));
  lastApplied_.assign(static_cast<std::size_t>(n), 0);
  start_ = lab::now();
  lk.unlock();
  setunreliable(unreliable);
  net_->LongDelays(true);
  tl_->watch(*net_);
}

std::shared_ptr<raftapi::Raft> Config::rafts(int i) {
  lab::MutexLock lk(mu_);
  return rafts_[static_cast<std::size_t>(i)];
}

bool Config::connected(int i) {
  lab::MutexLock lk(mu_);
  return connected_[static_cast<std::size_t>(i)];
}

// --- crash and restart (§5.3) ----------------------------------------------------

// Shut down a Raft server but save its persistent state.
void Config::crash1(int i) {
  DLOG(kTest, "crash1(%d)", i);
  disconnect(i);
  net_->DeleteServer(serverName(i));  // disable client connections to the server.

  lab::MutexLock lk(mu_);
  auto& saved = saved_[static_cast<std::size_t>(i)];
  // A fresh persister, in case old instance continues to update the Persister.
  // but copy old persister's content so that we always pass Make() the last persisted state.
  if (saved) saved = saved->Copy();

  if (auto rf = rafts_[static_cast<std::size_t>(i)]) {
    lk.unlock();
    rf->Kill();
    tl_->crashed(i);
    lk.lock();
    rafts_[static_cast<std::size_t>(i)] = nullptr;
  }

  if (saved) {
    labgob::Bytes raftlog = saved->ReadRaftState();
    labgob::Bytes snapshot = saved->ReadSnapshot();
    saved = persister::MakePersister();
    saved->Save(raftlog, snapshot);
  }
}

// Start or re-start a Raft. If one already exists, "kill" it first. Allocate
// new outgoing port file names, and a new state persister, to isolate the
// previous instance of this server, since we cannot really kill it.
void Config::start1(int i, Applier applier) {
  crash1(i);

  // a fresh set of outgoing ClientEnd names, so that old crashed instance's
  // ClientEnds can't send.
  std::vector<std::string> names;
  for (int j = 0; j < n; j++) names.push_back(randstring(20));
  raftapi::Peers ends;
  for (int j = 0; j < n; j++) {
    ends.push_back(net_->MakeEnd(names[static_cast<std::size_t>(j)]));
    net_->Connect(names[static_cast<std::size_t>(j)], serverName(j));
  }

  std::shared_ptr<persister::Persister> ps;
  {
    lab::MutexLock lk(mu_);
    endnames_[static_cast<std::size_t>(i)] = names;
    tl_->endNames(i, names);
    lastApplied_[static_cast<std::size_t>(i)] = 0;
    // a fresh persister, so old instance doesn't overwrite new instance's
    // persisted state. but copy old persister's content so that we always
    // pass Make() the last persisted state.
    auto& saved = saved_[static_cast<std::size_t>(i)];
    if (saved) {
      saved = saved->Copy();
      labgob::Bytes snapshot = saved->ReadSnapshot();
      if (!snapshot.empty()) {
        // mimic KV server and process snapshot now.
        // ideally Raft should send it up on applyCh...
        std::string err = ingestSnap(i, snapshot, -1);
        if (!err.empty()) fatal(err);
      }
    } else {
      saved = persister::MakePersister();
    }
    ps = saved;
  }

  auto applyCh = std::make_shared<lab::Chan<raftapi::ApplyMsg>>(0, "applyCh S" + std::to_string(i));
  tl_->started(i);
  raftapi::Server made = raftapi::MakeServer(ends, i, ps, applyCh);
  auto rf = made.raft;
  {
    lab::MutexLock lk(mu_);
    rafts_[static_cast<std::size_t>(i)] = rf;
    everyRaft_.push_back(rf);
  }

  // Started after rafts[i] is set: applierSnap reads it. A crashed
  // instance's applier lives on, reading its own channel (the zombie applier).
  auto self = shared_from_this();
  lab::go("tester applier S" + std::to_string(i), [self, i, applyCh, applier] { (self.get()->*applier)(i, applyCh); });

  auto srv = std::make_shared<labrpc::Server>();
  srv->AddService(made.service);
  net_->AddServer(serverName(i), srv);
}

// --- network partitions (§5.4) ----------------------------------------------------

// attach server i to the net.
void Config::connect(int i) {
  DLOG(kTest, "connect(%d)", i);
  lab::MutexLock lk(mu_);
  connected_[static_cast<std::size_t>(i)] = true;
  tl_->connected(i, true);
  // outgoing ClientEnds
  for (int j = 0; j < n; j++)
    if (connected_[static_cast<std::size_t>(j)]) net_->Enable(endnames_[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)], true);
  // incoming ClientEnds
  for (int j = 0; j < n; j++)
    if (connected_[static_cast<std::size_t>(j)]) net_->Enable(endnames_[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)], true);
}

// detach server i from the net.
void Config::disconnect(int i) {
  DLOG(kTest, "disconnect(%d)", i);
  lab::MutexLock lk(mu_);
  connected_[static_cast<std::size_t>(i)] = false;
  tl_->connected(i, false);
  // outgoing ClientEnds
  for (int j = 0; j < n; j++)
    if (!endnames_[static_cast<std::size_t>(i)].empty())
      net_->Enable(endnames_[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)], false);
  // incoming ClientEnds
  for (int j = 0; j < n; j++)
    if (!endnames_[static_cast<std::size_t>(j)].empty())
      net_->Enable(endnames_[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)], false);
}

void Config::setunreliable(bool unrel) { net_->Reliable(!unrel); }
void Config::setlongreordering(bool longrel) { net_->LongReordering(longrel); }
int Config::rpcCount(int server) { return net_->GetCount(serverName(server)); }
int Config::rpcTotal() { return net_->GetTotalCount(); }
std::int64_t Config::bytesTotal() { return net_->GetTotalBytes(); }

// --- appliers and log checking (§5.5) -----------------------------------------------

std::pair<std::string, bool> Config::checkLogs(int i, const raftapi::ApplyMsg& m) {
  std::string err_msg;
  const Command& v = m.Command;
  for (int j = 0; j < static_cast<int>(logs_.size()); j++) {
    const auto& lj = logs_[static_cast<std::size_t>(j)];
    auto it = lj.find(m.CommandIndex);
    if (it != lj.end() && it->second != v) {
      logPrintf(std::to_string(i) + ": log " + formatMap(logs_[static_cast<std::size_t>(i)]) + "; server " +
                formatMap(lj));
      // some server has already committed a different value for this entry!
      err_msg = "commit index=" + std::to_string(m.CommandIndex) + " server=" + std::to_string(i) + " " + str(m.Command) +
                " != server=" + std::to_string(j) + " " + str(it->second);
    }
  }
  auto& li = logs_[static_cast<std::size_t>(i)];
  const bool prevok = li.count(m.CommandIndex - 1) > 0;
  li[m.CommandIndex] = v;
  if (m.CommandIndex > maxIndex_) maxIndex_ = m.CommandIndex;
  return {err_msg, prevok};
}

// applier reads message from apply ch and checks that they match the log contents
void Config::applier(int i, ApplyCh applyCh) {
  while (auto m = applyCh->recv()) {
    if (!m->CommandValid) continue;  // ignore other types of ApplyMsg
    std::string err_msg;
    bool prevok;
    {
      lab::MutexLock lk(mu_);
      std::tie(err_msg, prevok) = checkLogs(i, *m);
      tl_->applied(i, m->CommandIndex);
    }
    if (m->CommandIndex > 1 && !prevok)
      err_msg = "server " + std::to_string(i) + " apply out of order " + std::to_string(m->CommandIndex);
    if (!err_msg.empty()) {
      applyFatal(err_msg);
      // Go stores err_msg in applyErr[i] after log.Fatalf: unreachable.
    }
  }
}

// returns "" or error string
std::string Config::ingestSnap(int i, const labgob::Bytes& snapshot, int index) {
  if (snapshot.empty()) lab::fail("nil snapshot");  // Go: log.Fatalf
  SnapshotData d;
  try {
    d = labgob::decode<SnapshotData>(snapshot);
  } catch (const labgob::DecodeError&) {
    lab::fail("snapshot decode error");  // Go: log.Fatalf
  }
  if (index != -1 && index != d.lastIncludedIndex)
    return "server " + std::to_string(i) + " snapshot doesn't match m.SnapshotIndex";
  auto& li = logs_[static_cast<std::size_t>(i)];
  li.clear();
  for (std::size_t j = 0; j < d.xlog.size(); j++) li[static_cast<int>(j)] = d.xlog[j];
  lastApplied_[static_cast<std::size_t>(i)] = d.lastIncludedIndex;
  return "";
}

// periodically snapshot raft state
void Config::applierSnap(int i, ApplyCh applyCh) {
  std::shared_ptr<raftapi::Raft> rf;
  {
    lab::MutexLock lk(mu_);
    rf = rafts_[static_cast<std::size_t>(i)];
  }
  if (!rf) return;  // ???

  while (auto m = applyCh->recv()) {
    std::string err_msg;
    if (m->SnapshotValid) {
      lab::MutexLock lk(mu_);
      err_msg = ingestSnap(i, m->Snapshot, m->SnapshotIndex);
      tl_->snapshot(i, m->SnapshotIndex);
    } else if (m->CommandValid) {
      int expected;
      {
        lab::MutexLock lk(mu_);  // Go reads lastApplied[i] unlocked
        expected = lastApplied_[static_cast<std::size_t>(i)] + 1;
      }
      if (m->CommandIndex != expected)
        err_msg = "server " + std::to_string(i) + " apply out of order, expected index " + std::to_string(expected) +
                  ", got " + std::to_string(m->CommandIndex);

      if (err_msg.empty()) {
        bool prevok;
        {
          lab::MutexLock lk(mu_);
          std::tie(err_msg, prevok) = checkLogs(i, *m);
          tl_->applied(i, m->CommandIndex);
        }
        if (m->CommandIndex > 1 && !prevok)
          err_msg = "server " + std::to_string(i) + " apply out of order " + std::to_string(m->CommandIndex);
      }

      {
        lab::MutexLock lk(mu_);
        lastApplied_[static_cast<std::size_t>(i)] = m->CommandIndex;
      }

      if ((m->CommandIndex + 1) % SnapShotInterval == 0) {
        SnapshotData d;
        d.lastIncludedIndex = m->CommandIndex;
        {
          lab::MutexLock lk(mu_);  // Go reads logs[i] unlocked
          const auto& li = logs_[static_cast<std::size_t>(i)];
          for (int j = 0; j <= m->CommandIndex; j++) {
            auto it = li.find(j);
            d.xlog.push_back(it != li.end() ? it->second : Command{});
          }
        }
        // Synchronously, on this activity: nobody reads applyCh meanwhile.
        rf->Snapshot(m->CommandIndex, labgob::encode(d));
      }
    } else {
      // Ignore other types of ApplyMsg.
    }
    if (!err_msg.empty()) applyFatal(err_msg);
  }
}

// Go: log.Fatalf("apply error: %v", err_msg), which ends the process. Here
// it fails the test, with the state of the cluster as the tester sees it.
void Config::applyFatal(const std::string& err) { lab::fail("apply error: " + err + "\n" + dumpCluster()); }

std::string Config::dumpCluster() {
  std::vector<std::shared_ptr<raftapi::Raft>> rafts;
  std::vector<bool> conn;
  std::vector<int> applied, highest;
  {
    lab::MutexLock lk(mu_);
    rafts = rafts_;
    conn = connected_;
    applied = lastApplied_;
    for (const auto& l : logs_) highest.push_back(l.empty() ? 0 : l.rbegin()->first);
  }
  std::ostringstream os;
  os << "cluster at t=" << lab::time_string() << ":";
  for (int i = 0; i < n; i++) {
    const auto k = static_cast<std::size_t>(i);
    os << "\n  server " << i << ": " << (conn[k] ? "connected" : "disconnected") << ", ";
    if (!rafts[k]) {
      os << "crashed";
    } else {
      // GetState from a helper activity, so that a Raft that blocks (say,
      // holds its lock while sending on applyCh) cannot hang the report.
      auto ch = std::make_shared<lab::Chan<raftapi::State>>(1);
      auto rf = rafts[k];
      lab::go("dump GetState", [rf, ch] { ch->send(rf->GetState()); });
      if (auto st = ch->recv_for(1s))
        os << "term " << st->term << (st->isLeader ? " leader" : " not leader");
      else
        os << "GetState() blocked for 1 s";
    }
    os << ", highest applied index " << highest[k] << ", lastApplied " << applied[k];
  }
  return os.str();
}

// --- queries (§5.6) ------------------------------------------------------------------

// check that one of the connected servers thinks it is the leader, and that
// no other connected server thinks otherwise. try a few times in case
// re-elections are needed.
int Config::checkOneLeader() {
  for (int iters = 0; iters < 10; iters++) {
    lab::sleep_for(std::chrono::milliseconds(450 + lab::rand_intn(100)));

    std::map<int, std::vector<int>> leaders;
    for (int i = 0; i < n; i++) {
      if (connected(i)) {
        auto [term, leader] = rafts(i)->GetState();
        if (leader) leaders[term].push_back(i);
      }
    }

    int lastTermWithLeader = -1;
    for (const auto& [term, ls] : leaders) {
      if (ls.size() > 1)
        fatal("term " + std::to_string(term) + " has " + std::to_string(ls.size()) + " (>1) leaders");
      if (term > lastTermWithLeader) lastTermWithLeader = term;
    }

    if (!leaders.empty()) {
      DLOG(kTest, "checkOneLeader: S%d in T%d", leaders[lastTermWithLeader][0], lastTermWithLeader);
      tl_->leaderFound(leaders[lastTermWithLeader][0], lastTermWithLeader);
      return leaders[lastTermWithLeader][0];
    }
  }
  fatal("expected one leader, got none");
}

// check that everyone agrees on the term.
int Config::checkTerms() {
  int term = -1;
  for (int i = 0; i < n; i++) {
    if (connected(i)) {
      int xterm = rafts(i)->GetState().term;
      if (term == -1)
        term = xterm;
      else if (term != xterm)
        fatal("servers disagree on term");
    }
  }
  return term;
}

// check that none of the connected servers thinks it is the leader.
void Config::checkNoLeader() {
  for (int i = 0; i < n; i++) {
    if (connected(i)) {
      if (rafts(i)->GetState().isLeader)
        fatal("expected no leader among connected servers, but " + std::to_string(i) + " claims to be leader");
    }
  }
}

// how many servers think a log entry is committed?
std::pair<int, Command> Config::nCommitted(int index) {
  int count = 0;
  Command cmd;  // nil
  for (int i = 0; i < n; i++) {
    std::string err;
    {
      lab::MutexLock lk(mu_);
      err = applyErr_[static_cast<std::size_t>(i)];
    }
    if (!err.empty()) fatal(err);

    std::optional<Command> cmd1;
    {
      lab::MutexLock lk(mu_);
      const auto& li = logs_[static_cast<std::size_t>(i)];
      if (auto it = li.find(index); it != li.end()) cmd1 = it->second;
    }
    if (cmd1) {
      if (count > 0 && cmd != *cmd1)
        fatal("committed values do not match: index " + std::to_string(index) + ", " + str(cmd) + ", " + str(*cmd1));
      count += 1;
      cmd = *cmd1;
    }
  }
  return {count, cmd};
}

// wait for at least n servers to commit. but don't wait forever.
Command Config::wait(int index, int n_, int startTerm) {
  lab::Duration to = 10ms;
  for (int iters = 0; iters < 30; iters++) {
    auto [nd, unused] = nCommitted(index);
    if (nd >= n_) break;
    lab::sleep_for(to);
    if (to < 1s) to *= 2;
    if (startTerm > -1) {
      for (int i = 0; i < n; i++) {
        auto r = rafts(i);
        if (r && r->GetState().term > startTerm) {
          // someone has moved on
          // can no longer guarantee that we'll "win"
          return Command(-1);
        }
      }
    }
  }
  auto [nd, cmd] = nCommitted(index);
  if (nd < n_)
    fatal("only " + std::to_string(nd) + " decided for index " + std::to_string(index) + "; wanted " + std::to_string(n_));
  return cmd;
}

// do a complete agreement.
// it might choose the wrong leader initially,
// and have to re-submit after giving up.
// entirely gives up after about 10 seconds.
// indirectly checks that the servers agree on the
// same value, since nCommitted() checks this,
// as do the threads that read from applyCh.
// returns index.
// if retry==true, may submit the command multiple
// times, in case a leader fails just after Start().
// if retry==false, calls Start() only once, in order
// to simplify the early Lab 2B tests.
int Config::one(Command cmd, int expectedServers, bool retry) {
  const lab::Duration t0 = lab::now();
  tl_->oneStart(str(cmd), expectedServers);
  int starts = 0;
  while (lab::now() - t0 < 10s && !checkFinished()) {
    // try all the servers, maybe one is the leader.
    int index = -1;
    for (int si = 0; si < n; si++) {
      starts = (starts + 1) % n;
      std::shared_ptr<raftapi::Raft> rf;
      {
        lab::MutexLock lk(mu_);
        if (connected_[static_cast<std::size_t>(starts)]) rf = rafts_[static_cast<std::size_t>(starts)];
      }
      if (rf) {
        auto [index1, term, ok] = rf->Start(cmd);
        (void)term;
        if (ok) {
          index = index1;
          break;
        }
      }
    }

    if (index != -1) {
      // somebody claimed to be the leader and to have
      // submitted our command; wait a while for agreement.
      const lab::Duration t1 = lab::now();
      while (lab::now() - t1 < 2s) {
        auto [nd, cmd1] = nCommitted(index);
        if (nd > 0 && nd >= expectedServers) {
          // committed
          if (cmd1 == cmd) {
            // and it was the command we submitted.
            DLOG(kTest, "one(%s) committed at index %d", str(cmd).c_str(), index);
            tl_->oneDone(str(cmd), index);
            return index;
          }
        }
        lab::sleep_for(20ms);
      }
      if (!retry) fatal("one(" + str(cmd) + ") failed to reach agreement");
    } else {
      lab::sleep_for(50ms);
    }
  }
  if (!checkFinished()) fatal("one(" + str(cmd) + ") failed to reach agreement");
  return -1;
}

// --- timing, statistics and cleanup (§5.7) ---------------------------------------------

void Config::checkTimeout() {
  // enforce a two minute real-time limit on each test
  if (lab::now() - start_ > 120s) fatal("test took longer than 120 seconds");
}

// start a Test.
// print the Test message.
// e.g. cfg.begin("Test (2B): RPC counts aren't too high")
void Config::begin(const std::string& description) {
  std::printf("%s ...\n", description.c_str());
  tl_->begin(description);
  std::fflush(stdout);
  t0_ = lab::now();
  rpcs0_ = rpcTotal();
  bytes0_ = bytesTotal();
  cmds0_ = 0;
  lab::MutexLock lk(mu_);
  maxIndex0_ = maxIndex_;
}

// end a Test -- the fact that we got here means there
// was no failure.
// print the Passed message,
// and some performance numbers.
void Config::end() {
  checkTimeout();
  tl_->end();
  // A failed test never gets here: lab::fail ended it.
  double t;
  int npeers, nrpc, ncmds;
  std::int64_t nbytes;
  {
    lab::MutexLock lk(mu_);
    t = seconds(lab::now() - t0_);  // real time
    npeers = n;                     // number of Raft peers
    ncmds = maxIndex_ - maxIndex0_;  // number of Raft agreements reported
  }
  nrpc = rpcTotal() - rpcs0_;       // number of RPC sends
  nbytes = bytesTotal() - bytes0_;  // number of bytes
  std::printf("  ... Passed --");
  std::printf("  %4.1f  %d %4d %7lld %4d\n", t, npeers, nrpc, static_cast<long long>(nbytes), ncmds);
  std::fflush(stdout);
}

// Go's cleanup(): kills every Raft and ends the network. Go also runs
// checkTimeout() here; end() has done that for a passing test, and a failed
// one has failed already.
void Config::cleanup() {
  finished_.store(true);
  std::vector<std::shared_ptr<raftapi::Raft>> rafts;
  {
    lab::MutexLock lk(mu_);
    rafts = rafts_;
  }
  for (auto& rf : rafts)
    if (rf) rf->Kill();
  net_->Cleanup();
}

// Maximum log size across all servers
int Config::LogSize() {
  int logsize = 0;
  lab::MutexLock lk(mu_);
  for (int i = 0; i < n; i++) {
    int sz = static_cast<int>(saved_[static_cast<std::size_t>(i)]->RaftStateSize());
    if (sz > logsize) logsize = sz;
  }
  return logsize;
}

}  // namespace tester
