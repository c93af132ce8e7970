// replaces kvraft/client.cpp
//
// A student bug: the Clerk passes on ErrVersion from a re-sent Put as it
// came. When the first attempt was executed and only its reply was lost,
// the re-sent Put finds the version already moved on and gets ErrVersion;
// the application is told its Put was not done, yet a Get then reads its
// value. Expected: TestPersistPartitionUnreliableLinearizable4B fails with
// "history is not linearizable" (with random keys no count check runs
// first), and the viewer's page is written.
#include <chrono>

#include "kvraft/client.hpp"

namespace kvraft {

std::tuple<std::string, rpc::Tversion, rpc::Err> Clerk::Get(const std::string& key) {
  const int n = static_cast<int>(servers_.size());
  rpc::GetArgs args{key};
  for (int tries = 0;; tries++) {
    if (tries > 0 && tries % n == 0) lab::sleep_for(std::chrono::milliseconds(10));
    const int s = (leader_ + tries) % n;
    rpc::GetReply reply;
    if (!clnt_->Call(servers_[static_cast<std::size_t>(s)], "KVServer.Get", args, &reply)) continue;
    if (reply.Err == rpc::OK || reply.Err == rpc::ErrNoKey) {
      leader_ = s;
      return {reply.Value, reply.Version, reply.Err};
    }
  }
}

rpc::Err Clerk::Put(const std::string& key, const std::string& value, rpc::Tversion version) {
  const int n = static_cast<int>(servers_.size());
  rpc::PutArgs args{key, value, version};
  for (int tries = 0;; tries++) {
    if (tries > 0 && tries % n == 0) lab::sleep_for(std::chrono::milliseconds(10));
    const int s = (leader_ + tries) % n;
    rpc::PutReply reply;
    if (!clnt_->Call(servers_[static_cast<std::size_t>(s)], "KVServer.Put", args, &reply)) continue;
    if (reply.Err == rpc::ErrWrongLeader) continue;
    leader_ = s;
    return reply.Err;  // the bug: ErrVersion after a re-send should be ErrMaybe
  }
}

}  // namespace kvraft
