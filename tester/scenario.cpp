// Scenario coverage (tester/scenario.hpp).
#include "tester/scenario.hpp"

namespace tester {

const char* name(Scenario s) {
  switch (s) {
    case Scenario::kLeaderElected:
      return "leader-elected";
    case Scenario::kLeaderChanged:
      return "leader-changed";
    case Scenario::kEntryOverwritten:
      return "uncommitted-entry-overwritten";
    case Scenario::kTermsOverwritten:
      return "entries-of-two-terms-overwritten";
    case Scenario::kRestartCaughtUp:
      return "restarted-server-caught-up";
    case Scenario::kSnapshotPersisted:
      return "snapshot-persisted";
    case Scenario::kSnapshotInstalled:
      return "snapshot-installed";
    case Scenario::kSnapshotRestored:
      return "snapshot-restored-at-restart";
  }
  return "?";
}

const char* missing(Scenario s) {
  switch (s) {
    case Scenario::kLeaderElected:
      return "no server ever answered GetState() or Start() as leader";
    case Scenario::kLeaderChanged:
      return "one server led all along";
    case Scenario::kEntryOverwritten:
      return "no server replaced an entry it had accepted as leader";
    case Scenario::kTermsOverwritten:
      return "no server replaced accepted entries of two different terms";
    case Scenario::kRestartCaughtUp:
      return "no restarted server applied anything committed after its restart";
    case Scenario::kSnapshotPersisted:
      return "no server's Persister holds a snapshot";
    case Scenario::kSnapshotInstalled:
      return "no snapshot reached a follower on applyCh: a leader must send InstallSnapshot to a follower that needs "
             "entries it has dropped";
    case Scenario::kSnapshotRestored:
      return "no restarted server had a snapshot saved (Persister.Save's snapshot)";
  }
  return "?";
}

void Coverage::exercised(Scenario s) {
  lab::MutexLock lk(mu_);
  happened_.insert(s);
}

bool Coverage::happened(Scenario s) {
  lab::MutexLock lk(mu_);
  return happened_.count(s) > 0;
}

void Coverage::accepted(int server, int index, int term, const labgob::Command& cmd) {
  lab::MutexLock lk(mu_);
  happened_.insert(Scenario::kLeaderElected);
  accepted_[server][index].emplace_back(term, cmd);
}

void Coverage::applied(int server, int index, const labgob::Command& cmd) {
  lab::MutexLock lk(mu_);
  if (auto r = restartedAt_.find(server); r != restartedAt_.end() && index > r->second)
    happened_.insert(Scenario::kRestartCaughtUp);
  auto& mine = accepted_[server];
  auto it = mine.find(index);
  if (it == mine.end()) return;
  // The server applies from its own log: a command it had accepted at this
  // index and does not apply now was replaced there.
  auto& terms = overwrittenTerms_[server];
  for (const auto& [term, c] : it->second)
    if (c != cmd) terms.insert(term);
  if (!terms.empty()) happened_.insert(Scenario::kEntryOverwritten);
  if (terms.size() >= 2) happened_.insert(Scenario::kTermsOverwritten);
  mine.erase(it);
}

void Coverage::installed(int server, int index) {
  lab::MutexLock lk(mu_);
  happened_.insert(Scenario::kSnapshotInstalled);
  if (auto r = restartedAt_.find(server); r != restartedAt_.end() && index > r->second)
    happened_.insert(Scenario::kRestartCaughtUp);
}

void Coverage::restarted(int server, int highest) {
  lab::MutexLock lk(mu_);
  restartedAt_[server] = highest;
}

}  // namespace tester
