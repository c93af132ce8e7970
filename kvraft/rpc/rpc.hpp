// kvraft/rpc/rpc.hpp — what the key/value labs' clients and servers share
// (Go's kvsrv1/rpc): the errors, and the arguments and replies of the
// service's two RPCs, "KVServer.Get" and "KVServer.Put".
#pragma once

#include <cstdint>
#include <string>

namespace rpc {

// Go's rpc.Err: a string whose value is its own name.
using Err = std::string;

// Returned by the server and the Clerk.
inline const Err OK = "OK";
inline const Err ErrNoKey = "ErrNoKey";
inline const Err ErrVersion = "ErrVersion";
// Returned by the Clerk only.
inline const Err ErrMaybe = "ErrMaybe";
// Returned by a replicated server (and by rsm's Submit) that is not the leader.
inline const Err ErrWrongLeader = "ErrWrongLeader";
inline const Err ErrWrongGroup = "ErrWrongGroup";

// A key's version: how many Puts it has taken (0: never put).
using Tversion = std::uint64_t;

// Put stores Value if Version is the key's current version (0 for a new key).
struct PutArgs {
  std::string Key;
  std::string Value;
  Tversion Version = 0;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Key & Value & Version;
  }
};

struct PutReply {
  rpc::Err Err;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Err;
  }
};

struct GetArgs {
  std::string Key;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Key;
  }
};

struct GetReply {
  std::string Value;
  Tversion Version = 0;
  rpc::Err Err;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Value & Version & Err;
  }
};

}  // namespace rpc
