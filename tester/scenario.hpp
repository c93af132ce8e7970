// tester/scenario.hpp — scenario coverage: did the run do what the test is
// there to exercise?
//
//   cfg->begin("Test (2D): install snapshots (disconnect)");
//   cfg->exercises(Scenario::kSnapshotPersisted);      // reported at end()
//   cfg->mustExercise(Scenario::kSnapshotInstalled);   // reported; with LAB_STRICT=1 required
//   ...
//   cfg->end();   // "scenario snapshot-installed: exercised", one line each
//
// A test passes on what it checks, not on what happened along the way: an
// install-snapshot test also passes when no snapshot was ever sent, if the
// run never needed one. The tester records, from what it sees anyway, which
// of these happened (Coverage), and end() prints one line per scenario the
// test declared. With LAB_STRICT=1 a scenario declared with mustExercise()
// that did not happen fails the test, before its "Passed" line: those are
// the ones a Raft cannot avoid on these tests without leaving out a feature
// (a snapshot reaching a follower, a snapshot saved and read back).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "lab/lab.hpp"
#include "labgob/command.hpp"

namespace tester {

enum class Scenario : std::uint8_t {
  kLeaderElected,      // some server answered isLeader=true
  kLeaderChanged,      // two different servers led, one after the other
  kEntryOverwritten,   // an entry a leader accepted (Start) was replaced in its log by another command
  kTermsOverwritten,   // ... entries of two different terms, on one server
  kRestartCaughtUp,    // a restarted server applied an index above the highest applied when it restarted
  kSnapshotPersisted,  // a server's Persister holds a snapshot
  kSnapshotInstalled,  // a leader's snapshot reached a follower's applyCh
  kSnapshotRestored,   // a restarted server's saved snapshot was loaded at boot
};
inline constexpr int kScenarios = 8;

// Its name in the report: "snapshot-installed".
const char* name(Scenario s);
// What its absence says, for the report's "NOT exercised" line.
const char* missing(Scenario s);

// What happened so far in one test's run. Fed by the tester (Config).
class Coverage {
 public:
  void exercised(Scenario s) LAB_EXCLUDES(mu_);
  bool happened(Scenario s) LAB_EXCLUDES(mu_);

  // Server accepted cmd at index in term (an accepting Start()).
  void accepted(int server, int index, int term, const labgob::Command& cmd) LAB_EXCLUDES(mu_);
  // Server applied cmd at index (the tester's applier).
  void applied(int server, int index, const labgob::Command& cmd) LAB_EXCLUDES(mu_);
  // Server installed a snapshot through index (applyCh).
  void installed(int server, int index) LAB_EXCLUDES(mu_);
  // Server restarted when the highest index applied anywhere was `highest`.
  void restarted(int server, int highest) LAB_EXCLUDES(mu_);

 private:
  lab::Mutex mu_;
  std::set<Scenario> happened_ LAB_GUARDED_BY(mu_);
  // server -> index -> the (term, command) it accepted there, not yet applied by it
  std::map<int, std::map<int, std::vector<std::pair<int, labgob::Command>>>> accepted_ LAB_GUARDED_BY(mu_);
  std::map<int, std::set<int>> overwrittenTerms_ LAB_GUARDED_BY(mu_);  // server -> terms of its replaced entries
  std::map<int, int> restartedAt_ LAB_GUARDED_BY(mu_);                 // server -> highest index at its last restart
};

}  // namespace tester
