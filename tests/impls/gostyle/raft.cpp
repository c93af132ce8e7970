// tests/impls/gostyle/raft.cpp — a peer's life: creation, the main loop, the
// client verbs (which are requests to the loop), persistence and the applier.
#include "tests/impls/gostyle/raft.hpp"

#include <deque>
#include <string>
#include <utility>

#include "lab/select.hpp"
#include "raftapi/debug.hpp"

namespace gostyle {

Raft::Raft(raftapi::Peers peers, int me, std::shared_ptr<persister::Persister> persister, raftapi::ApplyCh applyCh)
    : peers_(std::move(peers)),
      persister_(std::move(persister)),
      me_(me),
      applyCh_(std::move(applyCh)),
      voteRequests_(0, "S" + std::to_string(me) + " voteRequests"),
      appendRequests_(0, "S" + std::to_string(me) + " appendRequests"),
      starts_(0, "S" + std::to_string(me) + " starts"),
      stateRequests_(0, "S" + std::to_string(me) + " stateRequests"),
      voteResults_(0, "S" + std::to_string(me) + " voteResults"),
      appendResults_(0, "S" + std::to_string(me) + " appendResults"),
      toApply_(0, "S" + std::to_string(me) + " toApply"),
      done_(0, "S" + std::to_string(me) + " done"),
      electionTimer_("S" + std::to_string(me) + " election timer"),
      heartbeat_(kHeartbeat, "S" + std::to_string(me) + " heartbeat") {
  const std::size_t n = peers_.size();
  log_.push_back(LogEntry{});  // the sentinel: index 0, term 0
  nextIndex_.assign(n, 1);
  matchIndex_.assign(n, 0);
  inflight_.assign(n, 0);
  readPersist(persister_->ReadRaftState());
  resetElectionTimer();
}

void Raft::startActivities() {
  auto self = shared_from_this();
  lab::go("S" + std::to_string(me_) + " loop", [self] { self->run(); });
  lab::go("S" + std::to_string(me_) + " applier", [self] { self->applier(); });
}

// The main loop: one event at a time, each handled to the end before the next.
void Raft::run() {
  bool stop = false;
  while (!stop) {
    lab::select(lab::recv(electionTimer_.C(), [&] { startElection(); }),
                lab::recv(heartbeat_.C(), [&] { heartbeat(); }),
                lab::recv(voteRequests_, [&](VoteAsk m) { m.reply->send(handleRequestVote(m.req)); }),
                lab::recv(appendRequests_, [&](AppendAsk m) { m.reply->send(handleAppendEntries(m.req)); }),
                lab::recv(voteResults_, [&](VoteResult v) { onVoteResult(v); }),
                lab::recv(appendResults_, [&](AppendResult r) { onAppendResult(r); }),
                lab::recv(starts_, [&](StartAsk m) { m.reply->send(handleStart(std::move(m.req))); }),
                lab::recv(stateRequests_,
                          [&](StateAsk m) {
                            m.reply->send({currentTerm_, role_ == Role::Leader});
                          }),
                lab::recv(done_, [&] { stop = true; }));
  }
  electionTimer_.Stop();
  heartbeat_.Stop();
}

// Rules for Servers, Leaders: "If command received from client: append
// entry to local log". Then it goes at once to every follower not already
// busy with an append; the others get it when theirs comes back.
raftapi::StartResult Raft::handleStart(labgob::Command command) {
  if (role_ != Role::Leader) return {-1, currentTerm_, false};
  log_.push_back(LogEntry{currentTerm_, std::move(command)});
  persist();
  matchIndex_[me_] = lastIndex();
  DLOG(kClnt, "S%d Start -> I%d T%d", me_, lastIndex(), currentTerm_);
  for (int p = 0; p < static_cast<int>(peers_.size()); p++)
    if (p != me_ && inflight_[p] == 0) sendAppendEntries(p);
  return {lastIndex(), currentTerm_, true};
}

template <class Req, class Rep>
bool Raft::ask(lab::Chan<Ask<Req, Rep>>& ch, Req req, Rep* out) {
  auto reply = std::make_shared<lab::Chan<Rep>>(1, ch.name() + " reply");
  bool asked = false, answered = false;
  lab::select(lab::send(ch, Ask<Req, Rep>{std::move(req), reply}, [&] { asked = true; }), lab::recv(done_));
  if (asked)
    lab::select(lab::recv(*reply,
                          [&](Rep r) {
                            *out = std::move(r);
                            answered = true;
                          }),
                lab::recv(done_));
  return answered;
}

raftapi::StartResult Raft::Start(labgob::Command command) {
  raftapi::StartResult r{-1, -1, false};
  ask(starts_, std::move(command), &r);
  return r;
}

raftapi::State Raft::GetState() {
  raftapi::State s{0, false};
  ask(stateRequests_, Empty{}, &s);
  return s;
}

void Raft::RequestVote(const RequestVoteArgs& args, RequestVoteReply* reply) { ask(voteRequests_, args, reply); }

void Raft::AppendEntries(const AppendEntriesArgs& args, AppendEntriesReply* reply) {
  ask(appendRequests_, args, reply);
}

// Not part of this implementation (2D): the log is kept whole.
void Raft::Snapshot(int, labgob::Bytes) {}

void Raft::Kill() {
  if (dead_.exchange(true)) return;
  DLOG(kInfo, "S%d killed", me_);
  done_.close();
}

int Raft::PersistBytes() { return static_cast<int>(persister_->RaftStateSize()); }

void Raft::persist() { persister_->Save(labgob::encode(PersistentState{currentTerm_, votedFor_, log_}), {}); }

void Raft::readPersist(const labgob::Bytes& data) {
  if (data.empty()) return;
  auto st = labgob::decode<PersistentState>(data);
  currentTerm_ = st.currentTerm;
  votedFor_ = st.votedFor;
  log_ = std::move(st.log);
}

void Raft::setRole(Role r) {
  role_ = r;
  raftapi::report_role(me_, currentTerm_, role_);
}

// Rules for Servers, All Servers: a higher term seen in any RPC makes this
// peer a follower of that term.
void Raft::becomeFollower(int term) {
  const bool wasLeader = role_ == Role::Leader;
  if (term > currentTerm_) {
    currentTerm_ = term;
    votedFor_ = -1;
    persist();
  }
  setRole(Role::Follower);
  if (wasLeader) resetElectionTimer();  // a leader's timer was stopped
}

void Raft::resetElectionTimer() {
  electionTimer_.Reset(std::chrono::milliseconds(kElectionMinMs + lab::rand_intn(kElectionSpanMs)));
}

// Rules for Servers, All Servers: "If commitIndex > lastApplied: increment
// lastApplied, apply log[lastApplied] to state machine" — handed to the applier.
void Raft::applyCommitted() {
  if (commitIndex_ <= lastApplied_) return;
  std::vector<ApplyMsg> batch;
  for (int i = lastApplied_ + 1; i <= commitIndex_; i++) {
    ApplyMsg m;
    m.CommandValid = true;
    m.Command = log_[i].Command;
    m.CommandIndex = i;
    batch.push_back(std::move(m));
  }
  DLOG(kCmit, "S%d applies I%d..I%d", me_, lastApplied_ + 1, commitIndex_);
  lastApplied_ = commitIndex_;
  lab::select(lab::send(toApply_, std::move(batch)), lab::recv(done_));
}

// Feeds applyCh in order from a queue, so that neither the loop nor the
// service waits for the other. The send case is off (a nil channel) while
// there is nothing to send.
void Raft::applier() {
  std::deque<ApplyMsg> queue;
  bool stop = false;
  while (!stop && !dead_) {
    lab::Chan<ApplyMsg>* out = queue.empty() ? nullptr : applyCh_.get();
    ApplyMsg next = queue.empty() ? ApplyMsg{} : queue.front();
    lab::select(lab::recv(toApply_,
                          [&](std::vector<ApplyMsg> batch) {
                            for (auto& m : batch) queue.push_back(std::move(m));
                          }),
                lab::send(out, std::move(next), [&] { queue.pop_front(); }), lab::recv(done_, [&] { stop = true; }));
  }
}

}  // namespace gostyle

// The entry point the tester links against (raftapi/raftapi.hpp).
raftapi::Server raftapi::MakeServer(Peers peers, int me, std::shared_ptr<persister::Persister> persister,
                                    ApplyCh applyCh) {
  auto rf = std::make_shared<gostyle::Raft>(std::move(peers), me, std::move(persister), std::move(applyCh));
  rf->startActivities();
  auto svc = std::make_shared<labrpc::Service>("Raft");
  svc->Handle("RequestVote", rf, &gostyle::Raft::RequestVote);
  svc->Handle("AppendEntries", rf, &gostyle::Raft::AppendEntries);
  return {rf, svc};
}
