// The tester's clients: Go's tester1 clnts.go.
#include "kvtester/clnts.hpp"

#include <algorithm>

#include "kvtester/config.hpp"  // Randstring

namespace kvtester {

bool Clnt::allowed(const std::string& server) const {
  if (removed_) return false;
  if (!srvs_) return true;
  return std::find(srvs_->begin(), srvs_->end(), server) != srvs_->end();
}

std::shared_ptr<labrpc::ClientEnd> Clnt::makeEnd(const std::string& server) {
  lab::MutexLock lk(mu_);
  auto it = ends_.find(server);
  if (it != ends_.end()) return it->second.end;
  End e{Randstring(20), nullptr};
  e.end = net_->MakeEnd(e.name);
  net_->Connect(e.name, server);
  net_->Enable(e.name, allowed(server));
  return ends_.emplace(server, std::move(e)).first->second.end;
}

void Clnt::ConnectAll() {
  lab::MutexLock lk(mu_);
  srvs_.reset();
  for (auto& [srv, e] : ends_) net_->Enable(e.name, allowed(srv));
}

// Allows srvs too; ends already enabled stay so, as in Go.
void Clnt::ConnectTo(const std::vector<std::string>& srvs) {
  lab::MutexLock lk(mu_);
  srvs_ = srvs;
  for (auto& [srv, e] : ends_)
    if (allowed(srv)) net_->Enable(e.name, true);
}

void Clnt::Disconnect(const std::string& srv) {
  lab::MutexLock lk(mu_);
  auto it = ends_.find(srv);
  if (it != ends_.end()) net_->Enable(it->second.name, false);
}

void Clnt::DisconnectAll() {
  lab::MutexLock lk(mu_);
  srvs_ = std::vector<std::string>{};
  for (auto& [srv, e] : ends_) net_->Enable(e.name, false);
}

void Clnt::remove() {
  lab::MutexLock lk(mu_);
  removed_ = true;
  for (auto& [srv, e] : ends_) net_->Enable(e.name, false);
}

std::shared_ptr<Clnt> Clnts::MakeClientTo(std::optional<std::vector<std::string>> srvs) {
  auto c = std::make_shared<Clnt>(net_, std::move(srvs));
  lab::MutexLock lk(mu_);
  clerks_.insert(c);
  return c;
}

void Clnts::DeleteClient(const std::shared_ptr<Clnt>& c) {
  {
    lab::MutexLock lk(mu_);
    clerks_.erase(c);
  }
  c->remove();
}

void Clnts::cleanup() {
  std::set<std::shared_ptr<Clnt>> all;
  {
    lab::MutexLock lk(mu_);
    all.swap(clerks_);
  }
  for (const auto& c : all) c->remove();
}

}  // namespace kvtester
