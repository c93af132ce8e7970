// Strict mode's record of the servers' answers (tester/strict.hpp).
#include "tester/strict.hpp"

#include <algorithm>

namespace tester {

Heard::Heard(int n, bool strict) : strict_(strict) {
  lab::MutexLock lk(mu_);
  ledUpTo_.assign(static_cast<std::size_t>(n), 0);
}

int Heard::restarted(int server) {
  lab::MutexLock lk(mu_);
  instances_.push_back(Instance{server, ledUpTo_[static_cast<std::size_t>(server)], {}});
  return static_cast<int>(instances_.size()) - 1;
}

std::uint64_t Heard::asking() {
  lab::MutexLock lk(mu_);
  return ++clock_;
}

std::string Heard::answered(int instance, std::uint64_t asked, int term, bool leader) {
  lab::MutexLock lk(mu_);
  const std::uint64_t now = ++clock_;
  Instance& in = instances_[static_cast<std::size_t>(instance)];
  const std::string who = "server " + std::to_string(in.server);
  std::string broken;

  // Rule 2: the highest term among the answers that came before this call began.
  auto after = std::lower_bound(in.rises.begin(), in.rises.end(), asked,
                                [](const std::pair<std::uint64_t, int>& r, std::uint64_t t) { return r.first < t; });
  if (after != in.rises.begin() && std::prev(after)->second > term)
    broken = "strict: " + who + "'s term went down from " + std::to_string(std::prev(after)->second) + " to " +
             std::to_string(term) + " (the same instance, no restart)";
  // Rule 3.
  if (term < in.floor)
    broken = "strict: " + who + " restarted in term " + std::to_string(term) + ", below term " +
             std::to_string(in.floor) +
             " in which it had led before its crash (a leader saved its term before it asked for votes; Make must "
             "read it back)";
  if (in.rises.empty() || term > in.rises.back().second) in.rises.emplace_back(now, term);

  if (leader) {
    // Rule 1.
    auto [it, first] = leaderOf_.emplace(term, in.server);
    if (!first && it->second != in.server)
      broken = "strict: two leaders in term " + std::to_string(term) + ": server " + std::to_string(it->second) +
               " and server " + std::to_string(in.server);
    int& led = ledUpTo_[static_cast<std::size_t>(in.server)];
    led = std::max(led, term);
  }
  return strict_ ? broken : "";
}

int Heard::leadersSeen() {
  lab::MutexLock lk(mu_);
  std::vector<bool> seen(ledUpTo_.size(), false);
  for (const auto& [term, server] : leaderOf_) seen[static_cast<std::size_t>(server)] = true;
  return static_cast<int>(std::count(seen.begin(), seen.end(), true));
}

raftapi::StartResult WatchedRaft::Start(labgob::Command command) {
  const std::uint64_t asked = heard_->asking();
  labgob::Command cmd = command;  // Start takes its own copy
  raftapi::StartResult r = rf_->Start(std::move(command));
  if (r.isLeader) {
    // A refusal's term means nothing (the reference answers -1), so only an
    // acceptance is an answer.
    std::string broken = heard_->answered(instance_, asked, r.term, true);
    if (!broken.empty()) lab::fail(broken);
    if (onAccept_) onAccept_(server_, r.index, r.term, cmd);
  }
  return r;
}

raftapi::State WatchedRaft::GetState() {
  const std::uint64_t asked = heard_->asking();
  raftapi::State s = rf_->GetState();
  std::string broken = heard_->answered(instance_, asked, s.term, s.isLeader);
  if (!broken.empty()) lab::fail(broken);
  return s;
}

}  // namespace tester
