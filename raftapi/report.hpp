// raftapi/report.hpp — hooks for a timeline tool. A Raft calls report_role()
// after every change of a peer's role or term; annotate() adds a mark of its
// own to the peer's lane of the failure timeline (LAB_VIS, see README.md):
//
//   raftapi::annotate(me_, "stale reply from S" + std::to_string(peer));
//
// Both do nothing unless a tool has installed a Reporter (the tester does).
#pragma once

#include <string_view>

namespace raftapi {

// PreCandidate: asking for pre-votes before standing (Pre-Vote, dissertation
// §9.6); a Raft without Pre-Vote never reports it. The timeline's page lists
// the same roles in the same order.
enum class Role { Follower, PreCandidate, Candidate, Leader };

const char* to_string(Role r);

// Called with the peer's lock held, after `me` became `role` in `term`.
// Must return at once and never call back into Raft.
void report_role(int me, int term, Role role);

// A free-form mark on server me's lane at the current time. Cheap when no
// tool listens; safe with or without the peer's lock held.
void annotate(int me, std::string_view text);

// What a tool implements to receive the two calls above. Its methods may be
// called from any activity, concurrently, and must not block on Raft.
class Reporter {
 public:
  virtual void role(int me, int term, Role role) = 0;
  virtual void annotate(int me, std::string_view text) = 0;

 protected:
  ~Reporter() = default;
};

// Installs r (nullptr: none). r must outlive every activity that may report.
void set_reporter(Reporter* r);

}  // namespace raftapi
