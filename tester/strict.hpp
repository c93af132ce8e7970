// tester/strict.hpp — what the servers told the tester, and the checks
// strict mode (LAB_STRICT=1, lab::strict()) makes on it.
//
//   auto heard = std::make_shared<tester::Heard>(n, lab::strict());
//   int instance = heard->restarted(i);           // at every start1(i), before Make
//   auto rf = std::make_shared<tester::WatchedRaft>(made.raft, i, instance, heard, onAccept);
//   rf->GetState();                               // answered, recorded, checked
//
// The tester talks to every Raft instance through a WatchedRaft, so every
// answer one gives — GetState()'s {term, isLeader}, and an accepting
// Start()'s {index, term} — is recorded, whoever asked: checkOneLeader,
// checkTerms, checkNoLeader, wait, one, or a test calling cfg->rafts(i)
// itself. Recording takes only this object's lab::Mutex and no random
// number, so it changes no seed's run. Strict mode asks one question of its
// own: GetState() of each new instance, right after Make (rule 3).
//
// With LAB_STRICT=1 each answer is checked against three rules. Each holds
// for every correct Raft, whatever its design:
//
// 1. Election Safety over the whole run (the paper's Figure 3): at most one
//    server leads in a term. A server that answers isLeader=true in term T
//    leads in T; the first one seen is remembered for the rest of the run,
//    and a claim by any other server for T fails the test with
//      strict: two leaders in term 5: server 1 and server 3
//    The Go tester only compares the claims of one checkOneLeader() round.
// 2. A server's term never decreases (Figure 2: currentTerm "increases
//    monotonically") while the instance lives. Only answers ordered in time
//    are compared, one whose call began after the other's had returned, so
//    two calls racing in real time cannot fail it:
//      strict: server 2's term went down from 5 to 3 (the same instance, no restart)
// 3. A restart keeps every term the server had led in. To lead in term T a
//    server asked for votes in T, and Figure 2 has currentTerm and votedFor
//    on stable storage before any RPC that reveals them: T was saved before
//    the crash (the tester copies the saved state only after cutting the
//    server off the network), and Make reads it back before it returns, as
//    the Go skeleton's Make does. So no answer of the new instance, from the
//    tester's question right after Make on, may give a lower term:
//      strict: server 2 restarted in term 1, below term 4 in which it had led before its crash (...)
//    Terms a server was only seen to follow in are not used: a correct Raft
//    may show a new term in GetState a moment before it saves it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lab/lab.hpp"
#include "labgob/command.hpp"
#include "raftapi/raftapi.hpp"

namespace tester {

// The record of every answer, and the three rules.
class Heard {
 public:
  Heard(int n, bool strict);

  // A new instance of server i is about to be made (start1): returns its
  // number, the one its WatchedRaft reports answers under.
  int restarted(int server) LAB_EXCLUDES(mu_);
  // Before a call: the call's place in the order of calls and answers.
  std::uint64_t asking() LAB_EXCLUDES(mu_);
  // The answer to a call that began at `asked`: records it and returns the
  // message of the rule it breaks ("" if none, and always "" unless strict).
  std::string answered(int instance, std::uint64_t asked, int term, bool leader) LAB_EXCLUDES(mu_);
  // How many different servers have been seen leading so far.
  int leadersSeen() LAB_EXCLUDES(mu_);

 private:
  struct Instance {
    int server;
    int floor;  // the highest term the server had led in before this instance was made (rule 3)
    // Each rise of the highest term heard from it: (when the answer came, the
    // new highest term). Both grow, so rule 2 finds by binary search the
    // highest term of the answers that came before a call began.
    std::vector<std::pair<std::uint64_t, int>> rises;
  };

  const bool strict_;
  lab::Mutex mu_;
  std::uint64_t clock_ LAB_GUARDED_BY(mu_) = 0;  // counts calls begun and answers heard
  std::vector<Instance> instances_ LAB_GUARDED_BY(mu_);
  std::map<int, int> leaderOf_ LAB_GUARDED_BY(mu_);  // term -> the first server seen leading in it
  std::vector<int> ledUpTo_ LAB_GUARDED_BY(mu_);     // per server: the highest term it was seen leading in
};

// One Raft instance as the tester sees it: every call goes to the instance,
// every answer to Heard; a broken rule fails the test (tester::fatal).
class WatchedRaft final : public raftapi::Raft {
 public:
  // Told of each Start() the instance accepted: server, index, term, command.
  using OnAccept = std::function<void(int, int, int, const labgob::Command&)>;

  WatchedRaft(std::shared_ptr<raftapi::Raft> rf, int server, int instance, std::shared_ptr<Heard> heard,
              OnAccept onAccept)
      : rf_(std::move(rf)),
        server_(server),
        instance_(instance),
        heard_(std::move(heard)),
        onAccept_(std::move(onAccept)) {}

  raftapi::StartResult Start(labgob::Command command) override;
  raftapi::State GetState() override;
  void Snapshot(int index, labgob::Bytes snapshot) override { rf_->Snapshot(index, std::move(snapshot)); }
  void Kill() override { rf_->Kill(); }
  int PersistBytes() override { return rf_->PersistBytes(); }
  // The instance itself, for reports made after a failure (no checks).
  const std::shared_ptr<raftapi::Raft>& inner() const { return rf_; }

 private:
  const std::shared_ptr<raftapi::Raft> rf_;
  const int server_;
  const int instance_;
  const std::shared_ptr<Heard> heard_;
  const OnAccept onAccept_;
};

}  // namespace tester
