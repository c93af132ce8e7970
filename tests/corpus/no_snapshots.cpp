// tests/corpus/no_snapshots.cpp — snapshots left out.
//
// The mistake: Snapshot() does nothing; the log is never trimmed, nothing
// is saved, InstallSnapshot does not exist (this is the corpus base as it
// is). On a reliable network a lagging follower still catches up by
// AppendEntries from the full log, so the install-snapshot test passes: it
// checks the log's saved size, and this Raft saves nothing.
//
// What the lab says: the test passes, and its report says
// "scenario snapshot-persisted: NOT exercised" and the same of
// snapshot-installed. With LAB_STRICT=1 the first of them fails the test
// before its "Passed" line.
//
// expect sim TestSnapshotInstall2D within 60s: scenario snapshot-installed: NOT exercised
// expect sim LAB_STRICT=1 TestSnapshotInstall2D within 60s: strict: scenario snapshot-persisted was not exercised
#include "tests/corpus/base.hpp"

struct NoSnapshots : corpus::Peer {
  using Peer::Peer;  // BUG: Snapshot() only takes the lock; no InstallSnapshot
};

raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> ps, ApplyCh ch) {
  return corpus::serve<NoSnapshots>(std::move(peers), me, std::move(ps), std::move(ch));
}
