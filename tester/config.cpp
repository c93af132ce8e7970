// The Raft tester: Go's src/raft/config.go, step by step. Comments name the
// Go behaviour where C++ has to choose.
#include "tester/config.hpp"

#include "raftapi/debug.hpp"

#include <boost/serialization/vector.hpp>

#include <atomic>
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


constexpr lab::Duration kKillLimit = 5s;  // how long the tester waits for one Kill()

// Calls rf.Kill(), named `what` in reports; one that has not returned after
// kKillLimit fails the test, naming it.
void boundedKill(raftapi::Raft& rf, const std::string& what) {
  auto returned = std::make_shared<std::atomic<bool>>(false);
  lab::after(kKillLimit, [returned, what] {
    if (!returned->load())
      lab::fail(what + " has not returned within " + std::to_string(kKillLimit / 1s) +
                " s: Kill() must not wait for ever (for an activity that will not end, on a channel nobody "
                "reads)");
  });
  struct Returned {
    std::atomic<bool>& flag;
    ~Returned() { flag.store(true); }
  } mark{*returned};
  lab::BlockingLabel label(what.c_str());
  rf.Kill();
}
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
  // Start all n peers...
  for (int i = 0; i < n; i++) cfg->start1(i, applier);
  // ...and put every one of them on the network.
  for (int i = 0; i < n; i++) cfg->connect(i);
  return cfg;
}

Config::Config(int n_, bool unreliable, bool /*snapshot*/)
    : n(n_),
      net_(labrpc::MakeNetwork()),
      tl_(Timeline::make(n_)),
      strict_(lab::strict()),
      heard_(std::make_shared<Heard>(n_, strict_)),
      coverage_(std::make_shared<Coverage>()) {
  lab::MutexLock lk(mu_);
  rafts_.resize(static_cast<std::size_t>(n));
  applyErr_.resize(static_cast<std::size_t>(n));
  connected_.assign(static_cast<std::size_t>(n), false);
  group_.assign(static_cast<std::size_t>(n), 0);
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

// --- crash and restart (config.go's crash1, start1) ------------------------------

// Kills peer i, keeping what it had persisted for a later start1.
void Config::crash1(int i) {
  DLOG(kTest, "crash1(%d)", i);
  disconnect(i);
  net_->DeleteServer(serverName(i));  // calls to peer i now fail

  lab::MutexLock lk(mu_);
  auto& saved = saved_[static_cast<std::size_t>(i)];
  // The instance being crashed may go on writing to its Persister, so swap in
  // a copy of the current contents: the next Make() then gets the last state
  // saved before the crash, untouched by the old instance.
  if (saved) saved = saved->Copy();

  if (auto rf = rafts_[static_cast<std::size_t>(i)]) {
    lk.unlock();
    boundedKill(*rf, "Raft.Kill() of server " + std::to_string(i) + " (crash1)");
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

// (Re)starts peer i, crashing any running instance first. An old instance
// cannot truly be stopped, so the new one gets new end names and its own
// persister, which leave the old instance nothing to reach or overwrite.
void Config::start1(int i, Applier applier) {
  crash1(i);

  // New random names for this instance's outgoing ends; the ends held by a
  // crashed instance stay unconnected.
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
    for (int j = 0; j < n; j++) routes_[names[static_cast<std::size_t>(j)]] = {i, j};
    tl_->endNames(i, names);
    lastApplied_[static_cast<std::size_t>(i)] = 0;
    // Again a copy: the new instance starts from the last saved state, and
    // an older instance still running cannot write into it.
    auto& saved = saved_[static_cast<std::size_t>(i)];
    if (saved) {
      coverage_->restarted(i, maxIndex_);
      saved = saved->Copy();
      labgob::Bytes snapshot = saved->ReadSnapshot();
      if (!snapshot.empty()) {
        // Load the snapshot here, as a key/value service would at startup
        // (Raft itself is not asked to deliver it on applyCh).
        std::string err = ingestSnap(i, snapshot, -1);
        if (!err.empty()) fatal(err);
        coverage_->exercised(Scenario::kSnapshotRestored);
      }
    } else {
      saved = persister::MakePersister();
    }
    ps = saved;
  }

  auto applyCh = std::make_shared<lab::Chan<raftapi::ApplyMsg>>(0, "applyCh S" + std::to_string(i));
  tl_->started(i);
  const int instance = heard_->restarted(i);
  raftapi::Server made = raftapi::MakeServer(ends, i, ps, applyCh);
  // The tester reaches the instance only through this (tester/strict.hpp).
  std::shared_ptr<raftapi::Raft> rf = std::make_shared<WatchedRaft>(
      made.raft, i, instance, heard_, [coverage = coverage_](int server, int index, int term, const Command& cmd) {
        coverage->accepted(server, index, term, cmd);
      });
  {
    lab::MutexLock lk(mu_);
    rafts_[static_cast<std::size_t>(i)] = rf;
    everyRaft_.push_back(rf);
  }
  // Strict mode asks the new instance its term once, at once: Make has
  // restored the saved state before returning, so a term below one the
  // server led in before its crash is caught here (tester/strict.hpp, rule 3).
  if (strict_) rf->GetState();

  // Started after rafts[i] is set: applierSnap reads it. A crashed
  // instance's applier lives on, reading its own channel (the zombie applier).
  auto self = shared_from_this();
  lab::go("tester applier S" + std::to_string(i), [self, i, applyCh, applier] { (self.get()->*applier)(i, applyCh); });

  auto srv = std::make_shared<labrpc::Server>();
  srv->AddService(made.service);
  net_->AddServer(serverName(i), srv);
}

void Config::restart(int i, Applier applier) {
  start1(i, applier);
  if (ed_.restartConnectsAll) {
    // 2025: every peer, the crashed ones too (marked connected, their calls
    // fail as calls to a deleted server), and any partition is healed.
    for (int j = 0; j < n; j++) connect(j);
  } else {
    connect(i);
  }
}

void Config::startServers(Applier applier) {
  if (!ed_.startAllThenConnect) {
    for (int i = 0; i < n; i++) {
      start1(i, applier);
      connect(i);
    }
    return;
  }
  for (int i = 0; i < n; i++) start1(i, applier);
  for (int i = 0; i < n; i++) connect(i);
}

// --- network partitions (config.go's connect, disconnect) ------------------------

// Puts peer i back on the network.
void Config::connect(int i) {
  DLOG(kTest, "connect(%d)", i);
  lab::MutexLock lk(mu_);
  connected_[static_cast<std::size_t>(i)] = true;
  tl_->connected(i, true);
  // Only peers on i's side of a partition (all, unless partition() split them).
  std::vector<bool> side(static_cast<std::size_t>(n));
  for (int j = 0; j < n; j++)
    side[static_cast<std::size_t>(j)] = connected_[static_cast<std::size_t>(j)] && group_[static_cast<std::size_t>(j)] == group_[static_cast<std::size_t>(i)];
  // i's ends towards the connected peers
  for (int j = 0; j < n; j++)
    if (side[static_cast<std::size_t>(j)]) net_->Enable(endnames_[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)], true);
  // the connected peers' ends towards i
  for (int j = 0; j < n; j++)
    if (side[static_cast<std::size_t>(j)]) net_->Enable(endnames_[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)], true);
}

// Sets every end between two started servers: enabled when both are
// connected and on the same side.
void Config::partition(const std::vector<int>& groupOf) {
  lab::MutexLock lk(mu_);
  for (int i = 0; i < n; i++) group_[static_cast<std::size_t>(i)] = groupOf.at(static_cast<std::size_t>(i));
  for (int i = 0; i < n; i++) {
    const auto ii = static_cast<std::size_t>(i);
    if (endnames_[ii].empty()) continue;
    for (int j = 0; j < n; j++) {
      const auto jj = static_cast<std::size_t>(j);
      net_->Enable(endnames_[ii][jj], connected_[ii] && connected_[jj] && group_[ii] == group_[jj]);
    }
  }
}

void Config::note(const std::string& text) { tl_->note(text); }

// Takes peer i off the network, in both directions.
void Config::disconnect(int i) {
  DLOG(kTest, "disconnect(%d)", i);
  lab::MutexLock lk(mu_);
  connected_[static_cast<std::size_t>(i)] = false;
  tl_->connected(i, false);
  // i's ends towards the connected peers
  for (int j = 0; j < n; j++)
    if (!endnames_[static_cast<std::size_t>(i)].empty())
      net_->Enable(endnames_[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)], false);
  // the connected peers' ends towards i
  for (int j = 0; j < n; j++)
    if (!endnames_[static_cast<std::size_t>(j)].empty())
      net_->Enable(endnames_[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)], false);
}

void Config::control(std::function<labrpc::Decision(const Rpc&)> fn) {
  if (!fn) {
    net_->SetControl(nullptr);
    return;
  }
  auto self = weak_from_this();  // the network outlives neither the config nor the run
  net_->SetControl([self, fn = std::move(fn)](const labrpc::Message& m) {
    auto cfg = self.lock();
    if (!cfg) return labrpc::Decision::Deliver;
    std::pair<int, int> route{-1, -1};
    {
      lab::MutexLock lk(cfg->mu_);
      if (auto it = cfg->routes_.find(labrpc::to_string(m.endname)); it != cfg->routes_.end()) route = it->second;
    }
    if (route.first < 0) return labrpc::Decision::Deliver;  // not an end the tester made
    return fn(Rpc{m.call, route.first, route.second, m.svcMeth, m.reply, m.bytes.size()});
  });
}

void Config::setunreliable(bool unrel) { net_->Reliable(!unrel); }
void Config::setlongreordering(bool longrel) { net_->LongReordering(longrel); }
int Config::rpcCount(int server) { return net_->GetCount(serverName(server)); }
int Config::rpcTotal() { return net_->GetTotalCount(); }
std::int64_t Config::bytesTotal() { return net_->GetTotalBytes(); }

// --- appliers and log checking (config.go's checkLogs, applier, applierSnap) -----

std::pair<std::string, bool> Config::checkLogs(int i, const raftapi::ApplyMsg& m) {
  std::string err_msg;
  const Command& v = m.Command;
  for (int j = 0; j < static_cast<int>(logs_.size()); j++) {
    const auto& lj = logs_[static_cast<std::size_t>(j)];
    auto it = lj.find(m.CommandIndex);
    if (it != lj.end() && it->second != v) {
      logPrintf(std::to_string(i) + ": log " + formatMap(logs_[static_cast<std::size_t>(i)]) + "; server " +
                formatMap(lj));
      // conflict: peer j applied another command at this index
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

// Reads peer i's applyCh and checks each applied command against what the
// other peers applied at the same index.
void Config::applier(int i, ApplyCh applyCh) {
  while (auto m = applyCh->recv()) {
    if (!m->CommandValid) continue;  // only commands matter here
    std::string err_msg, strict_msg;
    bool prevok;
    {
      lab::MutexLock lk(mu_);
      std::tie(err_msg, prevok) = checkLogs(i, *m);
      strict_msg = checkCommitted(i, m->CommandIndex, m->Command);
      tl_->applied(i, m->CommandIndex);
    }
    coverage_->applied(i, m->CommandIndex, m->Command);
    if (m->CommandIndex > 1 && !prevok)
      err_msg = "server " + std::to_string(i) + " apply out of order " + std::to_string(m->CommandIndex);
    if (err_msg.empty()) err_msg = strict_msg;  // the Go check's message first
    if (!err_msg.empty()) applyError(i, err_msg);
  }
}

// Replaces peer i's record with the snapshot's log; an empty result means success.
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
  // Strict mode: what a snapshot holds was applied; it must agree too.
  for (std::size_t j = 1; j < d.xlog.size(); j++) {
    if (d.xlog[j].is_nil()) continue;
    std::string err = checkCommitted(i, static_cast<int>(j), d.xlog[j]);
    if (!err.empty()) return err + " (in a snapshot)";
  }
  auto& li = logs_[static_cast<std::size_t>(i)];
  li.clear();
  for (std::size_t j = 0; j < d.xlog.size(); j++) li[static_cast<int>(j)] = d.xlog[j];
  lastApplied_[static_cast<std::size_t>(i)] = d.lastIncludedIndex;
  return "";
}

// Like applier, and also hands Raft a snapshot every SnapShotInterval entries.
void Config::applierSnap(int i, ApplyCh applyCh) {
  std::shared_ptr<raftapi::Raft> rf;
  {
    lab::MutexLock lk(mu_);
    rf = rafts_[static_cast<std::size_t>(i)];
  }
  if (!rf) return;  // crashed already; Go does the same without explanation

  while (auto m = applyCh->recv()) {
    std::string err_msg;
    if (m->SnapshotValid) {
      {
        lab::MutexLock lk(mu_);
        err_msg = ingestSnap(i, m->Snapshot, m->SnapshotIndex);
        tl_->snapshot(i, m->SnapshotIndex);
      }
      if (err_msg.empty()) coverage_->installed(i, m->SnapshotIndex);
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
        std::string strict_msg;
        {
          lab::MutexLock lk(mu_);
          std::tie(err_msg, prevok) = checkLogs(i, *m);
          strict_msg = checkCommitted(i, m->CommandIndex, m->Command);
          tl_->applied(i, m->CommandIndex);
        }
        coverage_->applied(i, m->CommandIndex, m->Command);
        if (m->CommandIndex > 1 && !prevok)
          err_msg = "server " + std::to_string(i) + " apply out of order " + std::to_string(m->CommandIndex);
        if (err_msg.empty()) err_msg = strict_msg;  // the Go check's message first
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
      // Neither a command nor a snapshot: nothing to check.
    }
    if (!err_msg.empty()) applyError(i, err_msg);
  }
}

// Strict mode: the command applied at index must be the one applied there
// before, by any server. checkLogs compares with what each server's record
// holds now, and a snapshot or a restart with a snapshot replaces that
// record: after all servers restart from their snapshots, an entry applied
// after the last snapshot is remembered only here. Returns "" or the message.
std::string Config::checkCommitted(int i, int index, const Command& cmd) {
  if (!strict_) return "";
  auto [it, first] = committed_.emplace(index, cmd);
  if (first || it->second == cmd) return "";
  return "strict: server " + std::to_string(i) + " applied " + str(cmd) + " at index " + std::to_string(index) +
         ", where " + str(it->second) + " was applied before (a committed entry was lost)";
}

// Go: log.Fatalf("apply error: %v", err_msg), which ends the process. Here
// it fails the test, with the state of the cluster as the tester sees it.
void Config::applyFatal(const std::string& err) { lab::fail("apply error: " + err + "\n" + dumpCluster()); }

// 2023 and 2025 stop at once (applyFatal); 2026 records the error and goes
// on reading, so that Raft is not left blocked on applyCh, and the test
// fails with it at its next nCommitted().
void Config::applyError(int i, const std::string& err) {
  if (!ed_.applyErrorDeferred) applyFatal(err);
  lab::MutexLock lk(mu_);
  applyErr_[static_cast<std::size_t>(i)] = err;
}

std::string Config::dumpCluster() {
  std::vector<std::shared_ptr<raftapi::Raft>> rafts;
  std::vector<bool> conn;
  std::vector<int> applied, highest;
  {
    lab::MutexLock lk(mu_);
    rafts = rafts_;
    conn = connected_;
    for (const auto& l : logs_) highest.push_back(l.empty() ? 0 : l.rbegin()->first);
    // The tester's last applied index: lastApplied_ is kept by the snapshot
    // applier (2D) only; the plain one records each applied command in logs_
    // and checks they come in order, so there the last is the highest.
    for (std::size_t k = 0; k < lastApplied_.size(); k++)
      applied.push_back(lastApplied_[k] != 0 ? lastApplied_[k] : highest[k]);
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
      // Asked past the checks: the test has failed already.
      if (auto w = std::dynamic_pointer_cast<WatchedRaft>(rf)) rf = w->inner();
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

// --- queries (config.go's checkOneLeader ... one) ------------------------------------

// Returns the leader of the newest term in which a connected peer claims to
// lead; two claims for one term fail the test. Polls up to ten times, since
// an election may still be under way.
int Config::checkOneLeader() {
  for (int iters = 0; iters < 10; iters++) {
    lab::sleep_for(std::chrono::milliseconds(450 + lab::rand_intn(100)));

    std::map<int, std::vector<int>> leaders;
    for (int i = 0; i < n; i++) {
      // A crashed peer is connected only after a 2025 restart (ConnectAll);
      // it has no state to ask.
      auto rf = rafts(i);
      if (connected(i) && rf) {
        auto [term, leader] = rf->GetState();
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

// All connected peers must report the same term, which is returned.
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

// No connected peer may claim to be the leader.
void Config::checkNoLeader() {
  for (int i = 0; i < n; i++) {
    if (connected(i)) {
      if (rafts(i)->GetState().isLeader)
        fatal("expected no leader among connected servers, but " + std::to_string(i) + " claims to be leader");
    }
  }
}

// The number of peers that applied an entry at index, and its command;
// fails if two of them applied different commands there.
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

// Polls, with growing pauses and a bounded number of tries, until n peers
// have applied index.
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
          // A peer is past startTerm: the entry may never commit, so report
          // -1 instead of failing.
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

// Gets cmd committed by at least expectedServers peers and returns its index.
// Start() may first reach a peer that is no longer leader, so the call can
// take several rounds; after about 10 s it fails the test. Agreement on the
// value is checked along the way, by nCommitted() and by the appliers.
// retry=true: cmd may be submitted again when a round ends without agreement
// (say, the leader failed right after Start()). retry=false: one submission
// only, which keeps the first 2B tests simple.
int Config::one(Command cmd, int expectedServers, bool retry) {
  const lab::Duration t0 = lab::now();
  tl_->oneStart(str(cmd), expectedServers);
  int starts = 0;
  while (lab::now() - t0 < 10s && !checkFinished()) {
    // Offer cmd to the connected peers in turn until one accepts it as leader.
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
      // A peer took cmd as leader; give the cluster up to 2 s to commit it.
      const lab::Duration t1 = lab::now();
      while (lab::now() - t1 < 2s) {
        auto [nd, cmd1] = nCommitted(index);
        if (nd > 0 && nd >= expectedServers) {
          // enough peers applied this index...
          if (cmd1 == cmd) {
            // ...and it holds cmd, not some other command
            DLOG(kTest, "one(%s) committed at index %d", str(cmd).c_str(), index);
            tl_->oneDone(str(cmd), index);
            if (ed_.countOps) ops_++;
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

// --- timing, statistics and cleanup (config.go's begin, end, cleanup, LogSize) -------

void Config::checkTimeout() {
  // each test gets at most 120 s of (lab) time
  if (lab::now() - start_ > 120s) fatal("test took longer than 120 seconds");
}

// Prints the test's title line (such as "Test (2B): basic agreement ...") and
// records the counters that end() reports against.
void Config::begin(const std::string& description) {
  const std::string title = ed_.title(description);
  if (ed_.networkInTitle)
    std::printf("%s (%s network)...\n", title.c_str(), net_->IsReliable() ? "reliable" : "unreliable");
  else
    std::printf("%s ...\n", title.c_str());
  if (strict_)
    std::printf(
        "strict mode: extra checks on (Election Safety over the run, terms never decrease, a restart keeps the terms "
        "it led in, applied commands never change)\n");
  tl_->begin(title);
  std::fflush(stdout);
  t0_ = lab::now();
  rpcs0_ = rpcTotal();
  bytes0_ = bytesTotal();
  cmds0_ = 0;
  ops_ = 0;
  lab::MutexLock lk(mu_);
  maxIndex0_ = maxIndex_;
}

// Prints "  ... Passed --" with the test's figures; reaching this point means
// nothing failed.
void Config::end() {
  checkTimeout();
  tl_->end();
  // A failed test never gets here: lab::fail ended it.
  double t;
  int npeers, nrpc, ncmds;
  std::int64_t nbytes;
  {
    lab::MutexLock lk(mu_);
    t = seconds(lab::now() - t0_);  // elapsed seconds
    npeers = n;                     // peers in the cluster
    ncmds = maxIndex_ - maxIndex0_;  // entries applied during the test
  }
  nrpc = rpcTotal() - rpcs0_;       // RPCs sent
  nbytes = bytesTotal() - bytes0_;  // RPC bytes sent
  reportScenarios();                // may fail the test, in strict mode
  std::printf("  ... Passed --");
  if (ed_.opsSummary)
    std::printf("  time %4.1fs #peers %d #RPCs %5d #Ops %4d\n", t, npeers, nrpc, ops_.load());
  else
    std::printf("  %4.1f  %d %4d %7lld %4d\n", t, npeers, nrpc, static_cast<long long>(nbytes), ncmds);
  std::fflush(stdout);
}

// Go's cleanup(): kills every Raft and ends the network. Go also runs
// checkTimeout() here; end() has done that for a passing test, and a failed
// one has failed already.
//
// It runs in Cleanup's destructor, also while a failed test unwinds, so it
// is cleanup code (lab::CleanupScope): nothing here may throw lab::Killed
// out of the destructor. Each Kill() is the student's code, and may block
// (wait for its activities, send on a channel): it runs through
// lab::cancellable, so that when the run is being cancelled (the test has
// failed) its first blocking call ends it, and the next Kill() and the
// network's cleanup still run. In a passing test Kill() runs as in Go; one
// that has not returned after kKillLimit fails the test (Go would hang).
void Config::cleanup() {
  lab::CleanupScope scope;
  finished_.store(true);
  std::vector<std::shared_ptr<raftapi::Raft>> rafts;
  {
    lab::MutexLock lk(mu_);
    rafts = rafts_;
  }
  for (std::size_t i = 0; i < rafts.size(); i++) {
    if (!rafts[i]) continue;
    const std::string what = "Raft.Kill() of server " + std::to_string(i) + " (tester cleanup)";
    lab::cancellable([&] { boundedKill(*rafts[i], what); });
  }
  net_->Cleanup();
}

void Config::exercises(Scenario s) {
  lab::MutexLock lk(mu_);
  declared_.emplace_back(s, false);
}

void Config::mustExercise(Scenario s) {
  lab::MutexLock lk(mu_);
  declared_.emplace_back(s, true);
}

// One line per declared scenario; in strict mode, a required one that did
// not happen fails the test.
void Config::reportScenarios() {
  std::vector<std::pair<Scenario, bool>> declared;
  {
    lab::MutexLock lk(mu_);
    declared = declared_;
    for (const auto& ps : saved_)
      if (ps && ps->SnapshotSize() > 0) coverage_->exercised(Scenario::kSnapshotPersisted);
  }
  const int leaders = heard_->leadersSeen();
  if (leaders >= 1) coverage_->exercised(Scenario::kLeaderElected);
  if (leaders >= 2) coverage_->exercised(Scenario::kLeaderChanged);
  std::string unmet;
  // The Go report has no such lines: outside strict mode (or LAB_SCENARIOS=1)
  // only a scenario that did not happen is shown (the test may have passed
  // without it).
  const char* all = std::getenv("LAB_SCENARIOS");
  const bool showAll = strict_ || (all != nullptr && *all != '\0' && std::string(all) != "0");
  for (const auto& [s, required] : declared) {
    const bool yes = coverage_->happened(s);
    if (yes && showAll)
      std::printf("scenario %s: exercised\n", name(s));
    else if (!yes)
      std::printf("scenario %s: NOT exercised (%s)\n", name(s), missing(s));
    if (!yes && required && strict_ && unmet.empty())
      unmet = std::string("strict: scenario ") + name(s) + " was not exercised: " + missing(s);
  }
  std::fflush(stdout);
  if (!unmet.empty()) fatal(unmet);
}

// The largest persisted Raft state among the peers, in bytes.
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
