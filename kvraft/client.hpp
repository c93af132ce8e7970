// kvraft/client.hpp — the key/value service's Clerk (Go's
// kvraft1/client.go): what an application calls; it finds the leader and
// retries until it has an answer.
//
//   kvraft::Clerk ck(clnt, {"server-0-0", "server-0-1", "server-0-2"});
//   auto [value, version, err] = ck.Get("k");   // OK, or ErrNoKey ("" and 0)
//   rpc::Err e = ck.Put("k", "v", version);     // OK, ErrNoKey, ErrVersion, ErrMaybe
//
// Get retries until a server answers OK or ErrNoKey. Put answers
// ErrVersion only when the very first RPC of this Put got it: if any
// earlier RPC was lost, or went to a server that stopped leading, that
// attempt may have been executed, so a later ErrVersion may be the Put's
// own doing, and the Clerk answers ErrMaybe. Neither ever answers
// ErrWrongLeader.
#pragma once

#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "kvraft/rpc/rpc.hpp"
#include "kvtester/clnts.hpp"

namespace kvraft {

class Clerk {
 public:
  Clerk(std::shared_ptr<kvtester::Clnt> clnt, std::vector<std::string> servers)
      : clnt_(std::move(clnt)), servers_(std::move(servers)) {}

  std::tuple<std::string, rpc::Tversion, rpc::Err> Get(const std::string& key);
  rpc::Err Put(const std::string& key, const std::string& value, rpc::Tversion version);

  // The server that last answered (an index into the server list).
  int Leader() const { return leader_; }

 private:
  const std::shared_ptr<kvtester::Clnt> clnt_;
  const std::vector<std::string> servers_;
  // One Clerk is used by one activity at a time: no lock.
  int leader_ = 0;
};

}  // namespace kvraft
