// The key/value tests' helpers: Go's kvtest1/kvtest.go, step by step.
#include "kvtest/kvtest.hpp"

#include <cinttypes>
#include <cstdio>

#include "lab/select.hpp"

namespace kvtest {

using porcupine::models::KvInput;
using porcupine::models::KvOutput;
using porcupine::models::kKvGet;
using porcupine::models::kKvPut;

std::string toJson(const EntryV& e) {
  return "{\"Id\":" + std::to_string(e.Id) + ",\"V\":" + std::to_string(e.V) + "}";
}

// Reads exactly what toJson writes (and what Go writes for an EntryV).
bool fromJson(const std::string& s, EntryV* e) {
  int id = 0;
  unsigned long long v = 0;
  int end = 0;
  if (std::sscanf(s.c_str(), "{\"Id\":%d,\"V\":%llu}%n", &id, &v, &end) != 2 || end != static_cast<int>(s.size()))
    return false;
  *e = EntryV{id, static_cast<rpc::Tversion>(v)};
  return true;
}

std::vector<std::string> MakeKeys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; i++) keys.push_back("k" + std::to_string(i));
  return keys;
}

std::string formatRes(const ClntRes& r) { return "&{" + std::to_string(r.Nok) + " " + std::to_string(r.Nmaybe) + "}"; }

std::string formatInts(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); i++) s += (i ? " " : "") + std::to_string(v[i]);
  return s + "]";
}

// --- the history ------------------------------------------------------------------

porcupine::Time OpLog::stamp() {
  lab::MutexLock lk(mu_);
  const porcupine::Time t = std::chrono::duration_cast<std::chrono::nanoseconds>(lab::now()).count();
  last_ = std::max(last_ + 1, t);
  return last_;
}

void OpLog::Append(KvOperation op) {
  lab::MutexLock lk(mu_);
  log_.push_back(std::move(op));
}

porcupine::History<KvInput, KvOutput> OpLog::Read() {
  lab::MutexLock lk(mu_);
  return log_;
}

int OpLog::Len() {
  lab::MutexLock lk(mu_);
  return static_cast<int>(log_.size());
}

std::tuple<std::string, rpc::Tversion, rpc::Err> Test::Get(const TestClerk& ck, const std::string& key, int cli) {
  const porcupine::Time start = oplog_.stamp();
  auto [val, ver, err] = ck.ck->Get(key);
  const porcupine::Time end = oplog_.stamp();
  cfg->Op();
  oplog_.Append({cli, KvInput{kKvGet, key, "", 0}, start, KvOutput{val, ver, err}, end});
  return {val, ver, err};
}

rpc::Err Test::Put(const TestClerk& ck, const std::string& key, const std::string& value, rpc::Tversion version,
                   int cli) {
  const porcupine::Time start = oplog_.stamp();
  rpc::Err err = ck.ck->Put(key, value, version);
  const porcupine::Time end = oplog_.stamp();
  cfg->Op();
  oplog_.Append({cli, KvInput{kKvPut, key, value, version}, start, KvOutput{"", 0, err}, end});
  return err;
}

// --- helpers ------------------------------------------------------------------------

rpc::Tversion Test::PutAtLeastOnce(const TestClerk& ck, const std::string& key, const std::string& value,
                                   rpc::Tversion ver, int me) {
  for (;;) {
    rpc::Err err = Put(ck, key, value, ver, me);
    if (err == rpc::OK) {
      ver += 1;
      break;
    }
    if (err == rpc::ErrMaybe || err == rpc::ErrVersion) {
      ver += 1;
    } else if (ver != 0) {
      // if ver > 0, then key should exist
      cfg->Fatalf("Put " + key + " ver " + std::to_string(ver) + " err " + err);
    }
  }
  return ver;
}

void Test::CheckGet(const TestClerk& ck, const std::string& key, const std::string& value, rpc::Tversion version) {
  auto [val, ver, err] = Get(ck, key, 0);
  if (err != rpc::OK) cfg->Fatalf("Get(" + key + ") returns error = " + err);
  if (val != value || ver != version)
    cfg->Fatalf("Get(" + key + ") returns (" + val + ", " + std::to_string(ver) + ") != (" + value + ", " +
                std::to_string(version) + ")");
}

void Test::CheckPutConcurrent(const TestClerk& ck, const std::string& key, const std::vector<ClntRes>& rs,
                              ClntRes* res, bool reliable) {
  EntryV e;
  const rpc::Tversion ver0 = GetJson(ck, key, -1, &e);
  for (const auto& r : rs) {
    res->Nok += r.Nok;
    res->Nmaybe += r.Nmaybe;
  }
  if (reliable) {
    if (ver0 != static_cast<rpc::Tversion>(res->Nok))
      cfg->Fatalf("Reliable: Wrong number of puts: server " + std::to_string(ver0) + " clnts " + formatRes(*res));
  } else if (ver0 > static_cast<rpc::Tversion>(res->Nok + res->Nmaybe)) {
    cfg->Fatalf("Unreliable: Wrong number of puts: server " + std::to_string(ver0) + " clnts " + formatRes(*res));
  }
}

std::vector<ClntRes> Test::SpawnClientsAndWait(int nclnt, lab::Duration t, const Fclnt& fn) {
  std::vector<std::shared_ptr<lab::Chan<ClntRes>>> ca;
  auto done = std::make_shared<lab::Chan<bool>>(0, "done");
  for (int cli = 0; cli < nclnt; cli++) {
    ca.push_back(std::make_shared<lab::Chan<ClntRes>>(0, "client " + std::to_string(cli) + " result"));
    lab::go("kv client " + std::to_string(cli), [this, cli, fn, done, out = ca.back()] {
      TestClerk ck = MakeClerk();
      ClntRes r = fn(cli, ck, done);
      out->send(r);
      DeleteClerk(ck);
    });
  }
  lab::sleep_for(t);
  for (int i = 0; i < nclnt; i++) done->send(true);
  std::vector<ClntRes> rs;
  for (auto& c : ca) rs.push_back(*c->recv());
  return rs;
}

ClntRes Test::OneClientPut(int cli, const TestClerk& ck, const std::vector<std::string>& keys, const Done& done) {
  ClntRes res;
  std::map<std::string, rpc::Tversion> verm;
  for (const auto& k : keys) verm[k] = 0;
  for (;;) {
    bool stop = false;
    lab::select(lab::recv(*done, [&](bool) { stop = true; }), lab::otherwise());
    if (stop) return res;
    std::string k = keys[0];
    if (randomkeys) k = keys[static_cast<std::size_t>(lab::rand_intn(static_cast<std::int64_t>(keys.size())))];
    auto [ver, ok] = OnePut(cli, ck, k, verm[k]);
    verm[k] = ver;
    if (ok)
      res.Nok += 1;
    else
      res.Nmaybe += 1;
  }
}

// Keeps trying until one Put succeeds (or may have).
std::pair<rpc::Tversion, bool> Test::OnePut(int me, const TestClerk& ck, const std::string& key, rpc::Tversion ver) {
  for (;;) {
    rpc::Err err = PutJson(ck, key, EntryV{me, ver}, ver, me);
    if (!(err == rpc::OK || err == rpc::ErrVersion || err == rpc::ErrMaybe)) cfg->Fatalf("Wrong error " + err);
    EntryV e;
    const rpc::Tversion ver0 = GetJson(ck, key, me, &e);
    if (err == rpc::OK && ver0 == ver + 1) {  // my put?
      if (e.Id != me && e.V != ver)
        cfg->Fatalf("Wrong value {" + std::to_string(e.Id) + " " + std::to_string(e.V) + "}");
    }
    ver = ver0;
    if (err == rpc::OK || err == rpc::ErrMaybe) return {ver, err == rpc::OK};
  }
}

rpc::Tversion Test::GetJson(const TestClerk& ck, const std::string& key, int me, EntryV* v) {
  auto [val, ver, err] = Get(ck, key, me);
  if (err != rpc::OK) cfg->Fatalf(std::to_string(me) + ": Get \"" + key + "\" err " + err);
  if (!fromJson(val, v)) cfg->Fatalf("Unmarshal err " + std::to_string(ver));
  return ver;
}

rpc::Err Test::PutJson(const TestClerk& ck, const std::string& key, const EntryV& v, rpc::Tversion ver, int me) {
  return Put(ck, key, toJson(v), ver, me);
}

void Test::Partitioner(kvtester::Tgid gid, const Done& ch) {
  auto g = cfg->Group(gid);
  for (;;) {
    bool stop = false;
    lab::select(lab::recv(*ch, [&](bool) { stop = true; }), lab::otherwise());
    if (stop) break;
    std::vector<int> pa[2];
    for (int j = 0; j < g->N(); j++) pa[lab::rand_intn(2)].push_back(j);
    g->Partition(pa[0], pa[1]);
    lab::sleep_for(ElectionTimeout + std::chrono::milliseconds(lab::rand_intn(200)));
  }
  ch->send(true);
}

}  // namespace kvtest
