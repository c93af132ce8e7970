// kvraft/rpc/rpc.hpp — what the key/value labs' clients and servers share
// (Go's kvsrv1/rpc). Part 4A needs only the errors; the Get and Put
// arguments join them with the key/value service.
#pragma once

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

}  // namespace rpc
