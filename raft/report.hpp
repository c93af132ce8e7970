// raft/report.hpp — the one hook a timeline tool can use: every change of a
// peer's role or term calls report_role(). It does nothing by default
// (raft/report.cpp); a tool replaces that one definition.
#pragma once

namespace raft {

enum class Role { Follower, Candidate, Leader };

const char* to_string(Role r);

// Called with the peer's lock held, after `me` became `role` in `term`.
// Must return at once and never call back into Raft.
void report_role(int me, int term, Role role);

}  // namespace raft
