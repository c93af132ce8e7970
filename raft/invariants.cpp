// BEGIN SOLUTION 2B
// raft/invariants.cpp — a debug check of what must hold whenever mu_ is
// free, run by Raft::Lock each time the lock is let go (LogCabin's habit):
//
//   - the log's terms never decrease (Log::append refuses otherwise) and
//     none is above currentTerm;
//   - lastApplied <= commitIndex <= the last log index, and the snapshot
//     covers only committed entries;
//   - within one incarnation, the term and commitIndex never go back, and
//     a peer votes at most once per term.
//
// Each check is O(1), so the reference runs it in every test.
#include "raft/raft.hpp"

#include <exception>
#include <string>

namespace raft {

std::string Raft::invariantError() {
  using std::to_string;
  std::string what;  // stays empty on the fast path: nothing is formatted unless a check fails
  if (log_.lastTerm() > currentTerm_)
    what = "the last log entry has term " + to_string(log_.lastTerm()) + ", above currentTerm";
  else if (!(lastApplied_ <= commitIndex_ && commitIndex_ <= log_.lastIndex()))
    what = "lastApplied " + to_string(lastApplied_) + " <= commitIndex " + to_string(commitIndex_) +
           " <= last log index " + to_string(log_.lastIndex()) + " does not hold";
  else if (log_.lastIncludedIndex() > commitIndex_)
    what = "the snapshot covers index " + to_string(log_.lastIncludedIndex()) + ", beyond commitIndex " +
           to_string(commitIndex_);
  else if (currentTerm_ < seen_.term)
    what = "currentTerm went back from " + to_string(seen_.term);
  else if (commitIndex_ < seen_.commitIndex)
    what = "commitIndex went back from " + to_string(seen_.commitIndex) + " to " + to_string(commitIndex_);
  else if (currentTerm_ == seen_.term && seen_.votedFor != -1 && votedFor_ != seen_.votedFor)
    what = "voted for S" + to_string(seen_.votedFor) + " and then for S" + to_string(votedFor_) + " in one term";
  seen_ = {currentTerm_, votedFor_, commitIndex_};
  if (what.empty()) return what;
  return "S" + to_string(me_) + " (T" + to_string(currentTerm_) + ", " + raftapi::to_string(role_) +
         ") broke an invariant: " + what;
}

std::string Raft::Lock::checkAndRelease() {
  std::string err = rf_.invariantError();
  held_ = false;
  rf_.mu_.unlock();
  return err;
}

void Raft::Lock::unlock() {
  if (const std::string err = checkAndRelease(); !err.empty()) lab::fail(err);
}

Raft::Lock::~Lock() noexcept(false) {
  if (!held_) return;
  const std::string err = checkAndRelease();
  if (err.empty()) return;
  try {
    lab::fail(err);
  } catch (const lab::Killed&) {
    // The failure is recorded and the run cancelled. With an exception
    // already on its way out (this destructor may run during unwinding; in
    // sim, another fiber's may be in flight too), a second one would end the
    // process: carry on instead, to this activity's next lab:: call, which
    // throws.
    if (std::uncaught_exceptions() > 0) return;
    throw;
  }
}

void Raft::Lock::checkBeforeWait() {
  const std::string err = rf_.invariantError();
  if (err.empty()) return;
  held_ = false;
  rf_.mu_.unlock();
  lab::fail(err);
}

void Raft::Lock::wait(lab::CondVar& cv, lab::Where where) {
  checkBeforeWait();
  cv.wait(rf_.mu_, where);
}

void Raft::Lock::wait_until(lab::CondVar& cv, lab::Duration deadline, lab::Where where) {
  checkBeforeWait();
  cv.wait_until(rf_.mu_, deadline, where);
}

}  // namespace raft
// END SOLUTION
