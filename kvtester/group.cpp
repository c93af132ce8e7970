// A group of servers: Go's tester1 group.go and srv.go, step by step.
#include "kvtester/group.hpp"

#include "kvtester/config.hpp"  // Randstring

namespace kvtester {

std::string ServerName(Tgid gid, int i) { return "server-" + std::to_string(gid) + "-" + std::to_string(i); }

ServerGrp::ServerGrp(std::shared_ptr<labrpc::Network> net, Tgid gid, int n, FstartServer mks)
    : net_(std::move(net)), gid_(gid), n_(n), mks_(std::move(mks)) {
  lab::MutexLock lk(mu_);
  srvs_.resize(static_cast<std::size_t>(n));
  connected_.assign(static_cast<std::size_t>(n), false);
}

std::vector<int> ServerGrp::all() const {
  std::vector<int> v;
  for (int i = 0; i < n_; i++) v.push_back(i);
  return v;
}

bool ServerGrp::IsConnected(int i) {
  lab::MutexLock lk(mu_);
  return connected_[static_cast<std::size_t>(i)];
}

std::vector<bool> ServerGrp::GetConnected() {
  lab::MutexLock lk(mu_);
  return connected_;
}

// --- connectivity (group.go) --------------------------------------------------

// Attaches server i to the servers of `to` that are connected, both ways.
void ServerGrp::connect(int i, const std::vector<int>& to) {
  lab::MutexLock lk(mu_);
  connected_[static_cast<std::size_t>(i)] = true;
  auto& si = srvs_[static_cast<std::size_t>(i)];
  for (int j : to) {
    if (!connected_[static_cast<std::size_t>(j)]) continue;
    auto& sj = srvs_[static_cast<std::size_t>(j)];
    // outgoing: i's end towards j; incoming: j's end towards i
    if (!si.endNames.empty()) net_->Enable(si.endNames[static_cast<std::size_t>(j)], true);
    if (!sj.endNames.empty()) net_->Enable(sj.endNames[static_cast<std::size_t>(i)], true);
  }
}

// Detaches server i from the servers of `from`, both ways.
void ServerGrp::disconnect(int i, const std::vector<int>& from) {
  lab::MutexLock lk(mu_);
  connected_[static_cast<std::size_t>(i)] = false;
  auto& si = srvs_[static_cast<std::size_t>(i)];
  for (int j : from) {
    auto& sj = srvs_[static_cast<std::size_t>(j)];
    if (!si.endNames.empty()) net_->Enable(si.endNames[static_cast<std::size_t>(j)], false);
    if (!sj.endNames.empty()) net_->Enable(sj.endNames[static_cast<std::size_t>(i)], false);
  }
}

void ServerGrp::ConnectOne(int i) { connect(i, all()); }

void ServerGrp::ConnectAll() {
  for (int i = 0; i < n_; i++) ConnectOne(i);
}

void ServerGrp::DisconnectAll(int i) { disconnect(i, all()); }

void ServerGrp::Partition(const std::vector<int>& p1, const std::vector<int>& p2) {
  for (int i : p1) {
    disconnect(i, p2);
    connect(i, p1);
  }
  for (int i : p2) {
    disconnect(i, p1);
    connect(i, p2);
  }
}

std::pair<std::vector<int>, std::vector<int>> ServerGrp::MakePartition(int l) const {
  std::vector<int> p1(static_cast<std::size_t>(n_ / 2 + 1)), p2(static_cast<std::size_t>(n_ / 2));
  std::size_t j = 0;
  for (int i = 0; i < n_; i++) {
    if (i == l) continue;
    if (j < p1.size())
      p1[j] = i;
    else
      p2[j - p1.size()] = i;
    j++;
  }
  p2[p2.size() - 1] = l;
  return {p1, p2};
}

// --- lifecycle (srv.go, group.go) ---------------------------------------------

// Starts server i with fresh ends (all disabled) and a copy of what it had
// persisted; connects nothing. A running instance must be shut down first.
void ServerGrp::StartServer(int i) {
  Server s;
  raftapi::Peers ends;
  for (int j = 0; j < n_; j++) {
    s.endNames.push_back(Randstring(20));
    ends.push_back(net_->MakeEnd(s.endNames.back()));
    net_->Connect(s.endNames.back(), ServerName(gid_, j));
  }
  {
    lab::MutexLock lk(mu_);
    // A copy, so that an older instance still running cannot write into
    // what this one starts from.
    const auto& old = srvs_[static_cast<std::size_t>(i)].saved;
    s.saved = old ? old->Copy() : persister::MakePersister();
  }
  s.svcs = mks_(ends, gid_, i, s.saved);
  auto srv = std::make_shared<labrpc::Server>();
  for (const auto& svc : s.svcs) srv->AddService(svc.svc);
  {
    lab::MutexLock lk(mu_);
    srvs_[static_cast<std::size_t>(i)] = std::move(s);
  }
  net_->AddServer(ServerName(gid_, i), srv);
}

void ServerGrp::StartServers() {
  for (int i = 0; i < n_; i++) StartServer(i);
  ConnectAll();
}

// Takes server i down: cut off from the others, deleted (so that no
// client gets a reply for something persisted into the superseded
// persister), its persister swapped for a copy, then its services killed.
void ServerGrp::ShutdownServer(int i) {
  disconnect(i, all());
  net_->DeleteServer(ServerName(gid_, i));
  std::vector<IService> svcs;
  {
    lab::MutexLock lk(mu_);
    auto& s = srvs_[static_cast<std::size_t>(i)];
    if (s.saved) s.saved = s.saved->Copy();
    svcs = std::move(s.svcs);
    s.svcs.clear();
  }
  for (auto& svc : svcs)
    if (svc.Kill) lab::cancellable(svc.Kill);
}

void ServerGrp::Shutdown() {
  for (int i = 0; i < n_; i++) ShutdownServer(i);
}

void ServerGrp::cleanup() {
  std::vector<IService> svcs;
  {
    lab::MutexLock lk(mu_);
    for (auto& s : srvs_) {
      for (auto& svc : s.svcs) svcs.push_back(svc);
      s.svcs.clear();
    }
  }
  for (auto& svc : svcs)
    if (svc.Kill) lab::cancellable(svc.Kill);
}

int ServerGrp::LogSize() {
  lab::MutexLock lk(mu_);
  std::size_t sz = 0;
  for (auto& s : srvs_)
    if (s.saved) sz = std::max(sz, s.saved->RaftStateSize());
  return static_cast<int>(sz);
}

int ServerGrp::SnapshotSize() {
  lab::MutexLock lk(mu_);
  std::size_t sz = 0;
  for (auto& s : srvs_)
    if (s.saved) sz = std::max(sz, s.saved->SnapshotSize());
  return static_cast<int>(sz);
}

}  // namespace kvtester
