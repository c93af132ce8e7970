// The key/value Clerk (see client.hpp).
#include "kvraft/client.hpp"

#include <chrono>

namespace kvraft {

// BEGIN SOLUTION 4B
namespace {
// After a whole round of servers without an answer: a new leader is likely
// being elected, so wait a little before the next round.
constexpr lab::Duration kRoundPause = std::chrono::milliseconds(10);
}  // namespace
// END SOLUTION

std::tuple<std::string, rpc::Tversion, rpc::Err> Clerk::Get(const std::string& key) {
  // BEGIN SOLUTION 4B
  const int n = static_cast<int>(servers_.size());
  rpc::GetArgs args{key};
  for (int tries = 0;; tries++) {
    if (tries > 0 && tries % n == 0) lab::sleep_for(kRoundPause);
    const int s = (leader_ + tries) % n;
    rpc::GetReply reply;
    if (!clnt_->Call(servers_[static_cast<std::size_t>(s)], "KVServer.Get", args, &reply)) continue;
    if (reply.Err == rpc::OK || reply.Err == rpc::ErrNoKey) {
      leader_ = s;
      return {reply.Value, reply.Version, reply.Err};
    }
  }
  // ELSE
  // (void)key;
  // return {"", 0, rpc::ErrNoKey};  // Your code here (4B)
  // END SOLUTION
}

rpc::Err Clerk::Put(const std::string& key, const std::string& value, rpc::Tversion version) {
  // BEGIN SOLUTION 4B
  const int n = static_cast<int>(servers_.size());
  rpc::PutArgs args{key, value, version};
  for (int tries = 0;; tries++) {
    if (tries > 0 && tries % n == 0) lab::sleep_for(kRoundPause);
    const int s = (leader_ + tries) % n;
    rpc::PutReply reply;
    if (!clnt_->Call(servers_[static_cast<std::size_t>(s)], "KVServer.Put", args, &reply)) continue;
    if (reply.Err == rpc::ErrWrongLeader) continue;
    leader_ = s;
    // An earlier attempt (lost, or at a server that then lost its lead) may
    // have been executed: this ErrVersion may be that attempt's doing.
    if (reply.Err == rpc::ErrVersion && tries > 0) return rpc::ErrMaybe;
    return reply.Err;
  }
  // ELSE
  // (void)key;
  // (void)value;
  // (void)version;
  // return rpc::ErrNoKey;  // Your code here (4B)
  // END SOLUTION
}

}  // namespace kvraft
