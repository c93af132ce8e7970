// kvtest/kvtest.hpp — what the key/value labs' tests share (Go's kvtest1):
// Clerks that record every Get and Put into one history, the helpers the
// tests are written with, and the linearizability check of that history.
//
//   kvtest::Test ts(cfg, randomkeys, maker, "TestBasic4B");
//   auto ck = ts.MakeClerk();
//   auto ver = ts.PutAtLeastOnce(ck, "1", "13", 0, -1);
//   ts.CheckGet(ck, "1", "13", ver);
//   auto rs = ts.SpawnClientsAndWait(5, 1s, [&](int cli, kvtest::TestClerk ck, auto done) {
//     return ts.OneClientPut(cli, ck, keys, done);
//   });
//   ts.CheckPorcupine();   // "history is not linearizable", and the viewer's page
//
// Each recorded call is an operation of porcupine's kv model: who (a
// client id: 0.. for the clients, -1 and 0 for the test's own calls), the
// input, the output, and when it was called and returned. The stamps are
// lab::now() in nanoseconds, made strictly increasing in the order the
// calls and returns happened (in the sim backend many share one virtual
// instant), so a sim run's history, and its verdict, replay by seed.
//
// The check gets Go's budget: 1 s of wall time in the real backend; in the
// sim backend a count of search steps instead, so that its answer depends
// on the seed only. A budget that runs out passes, as in Go, with the line
// "info: linearizability check timed out, assuming history is ok".
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "kvraft/rpc/rpc.hpp"
#include "kvtester/config.hpp"
#include "lab/chan.hpp"
#include "lab/lab.hpp"
#include "porcupine/porcupine.hpp"

namespace kvtest {

using namespace std::chrono_literals;

// Generously allows solutions to complete elections in one second.
inline constexpr lab::Duration ElectionTimeout = 1s;

// What a test needs of a Clerk.
class IKVClerk {
 public:
  virtual ~IKVClerk() = default;
  virtual std::tuple<std::string, rpc::Tversion, rpc::Err> Get(const std::string& key) = 0;
  virtual rpc::Err Put(const std::string& key, const std::string& value, rpc::Tversion version) = 0;
};

struct TestClerk {
  std::shared_ptr<IKVClerk> ck;
  std::shared_ptr<kvtester::Clnt> Clnt;
};

class IClerkMaker {
 public:
  virtual ~IClerkMaker() = default;
  virtual TestClerk MakeClerk() = 0;
  virtual void DeleteClerk(const TestClerk& ck) = 0;
};

// Per client: its Puts that answered OK, and those that answered ErrMaybe.
struct ClntRes {
  int Nok = 0;
  int Nmaybe = 0;
};

// The value clients put, as Go's encoding/json writes it: {"Id":3,"V":7}.
struct EntryV {
  int Id = 0;
  rpc::Tversion V = 0;
};
std::string toJson(const EntryV& e);
bool fromJson(const std::string& s, EntryV* e);

// "k0" ... "k<n-1>".
std::vector<std::string> MakeKeys(int n);

using KvOperation = porcupine::Operation<porcupine::models::KvInput, porcupine::models::KvOutput>;

// The history of one test, shared by all its clients, never cleared.
class OpLog {
 public:
  // A stamp later than every earlier one: lab::now() in ns, or one more
  // than the last stamp when the clock has not moved since.
  porcupine::Time stamp() LAB_EXCLUDES(mu_);
  void Append(KvOperation op) LAB_EXCLUDES(mu_);
  porcupine::History<porcupine::models::KvInput, porcupine::models::KvOutput> Read() LAB_EXCLUDES(mu_);
  int Len() LAB_EXCLUDES(mu_);

 private:
  lab::Mutex mu_;
  porcupine::Time last_ LAB_GUARDED_BY(mu_) = 0;
  porcupine::History<porcupine::models::KvInput, porcupine::models::KvOutput> log_ LAB_GUARDED_BY(mu_);
};

using Done = std::shared_ptr<lab::Chan<bool>>;
using Fclnt = std::function<ClntRes(int cli, const TestClerk& ck, const Done& done)>;

class Test {
 public:
  Test(std::shared_ptr<kvtester::Config> cfg, bool randomkeys, IClerkMaker* mck, std::string name)
      : cfg(std::move(cfg)), randomkeys(randomkeys), mck_(mck), name_(std::move(name)) {}

  const std::shared_ptr<kvtester::Config> cfg;
  const bool randomkeys;

  TestClerk MakeClerk() { return mck_->MakeClerk(); }
  void DeleteClerk(const TestClerk& ck) { mck_->DeleteClerk(ck); }

  // The Clerk's calls, recorded into the history as client cli.
  std::tuple<std::string, rpc::Tversion, rpc::Err> Get(const TestClerk& ck, const std::string& key, int cli);
  rpc::Err Put(const TestClerk& ck, const std::string& key, const std::string& value, rpc::Tversion version,
               int cli);

  // Puts until a Put answers OK (assumes different ck's put to different
  // keys); the version after it.
  rpc::Tversion PutAtLeastOnce(const TestClerk& ck, const std::string& key, const std::string& value,
                               rpc::Tversion ver, int me);
  void CheckGet(const TestClerk& ck, const std::string& key, const std::string& value, rpc::Tversion version);
  void CheckPutConcurrent(const TestClerk& ck, const std::string& key, const std::vector<ClntRes>& rs, ClntRes* res,
                          bool reliable);
  // Runs fn for nclnt clients, each with a fresh Clerk, for about t.
  std::vector<ClntRes> SpawnClientsAndWait(int nclnt, lab::Duration t, const Fclnt& fn);
  ClntRes OneClientPut(int cli, const TestClerk& ck, const std::vector<std::string>& keys, const Done& done);
  std::pair<rpc::Tversion, bool> OnePut(int me, const TestClerk& ck, const std::string& key, rpc::Tversion ver);
  rpc::Tversion GetJson(const TestClerk& ck, const std::string& key, int me, EntryV* v);
  rpc::Err PutJson(const TestClerk& ck, const std::string& key, const EntryV& v, rpc::Tversion ver, int me);
  // Repartitions group gid at random, every 1-1.2 s, until a value arrives
  // on ch; then sends true on ch.
  void Partitioner(kvtester::Tgid gid, const Done& ch);

  void CheckPorcupine();
  void CheckPorcupineT(lab::Duration nsec);

  OpLog& oplog() { return oplog_; }
  const std::string& name() const { return name_; }

 private:
  IClerkMaker* const mck_;  // the fixture, which owns this Test
  const std::string name_;
  OpLog oplog_;
};

// Go's %v of a ClntRes pointer: &{Nok Nmaybe}.
std::string formatRes(const ClntRes& r);
// Go's %v of an int slice: [0 1 3].
std::string formatInts(const std::vector<int>& v);

}  // namespace kvtest
