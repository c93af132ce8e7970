// The counter server of the rsm tests (Go's kvraft1/rsm/server.go).
#include "tests/rsm/server.hpp"

namespace rsm_tests {

// Everything that travels inside an Op, under Go's names (so that %T reads rsm.Dec).
LABGOB_REGISTER(Inc, "rsm.Inc");
LABGOB_REGISTER(Null, "rsm.Null");
LABGOB_REGISTER(Dec, "rsm.Dec");
LABGOB_REGISTER(IncRep, "rsm.IncRep");
LABGOB_REGISTER(NullRep, "rsm.NullRep");

std::string formatRep(const std::any& rep) {
  if (!rep.has_value()) return "<nil>";
  if (auto r = std::any_cast<IncRep>(&rep)) return "&{" + std::to_string(r->N) + "}";
  if (std::any_cast<NullRep>(&rep)) return "&{}";
  return "(" + labgob::typeName(rep) + ")";
}

std::shared_ptr<rsmSrv> makeRsmSrv(raftapi::Peers ends, int me, std::shared_ptr<persister::Persister> persister,
                                   int maxraftstate) {
  auto s = std::make_shared<rsmSrv>(me);
  s->rsm = rsm::MakeRSM(std::move(ends), me, std::move(persister), maxraftstate, s);
  return s;
}

std::any rsmSrv::DoOp(const std::any& req) {
  if (req.type() == typeid(Inc)) {
    lab::MutexLock lk(mu);
    counter += 1;
    return IncRep{counter};
  }
  if (req.type() == typeid(Null)) return NullRep{};
  // Go: log.Fatalf, which ends the whole test binary.
  lab::fail("DoOp should execute only Inc and not " + labgob::typeName(req));
}

labgob::Bytes rsmSrv::Snapshot() {
  lab::MutexLock lk(mu);
  return labgob::encode(counter);
}

void rsmSrv::Restore(const labgob::Bytes& data) {
  int c = 0;
  try {
    c = labgob::decode<int>(data);
  } catch (const labgob::DecodeError&) {
    lab::fail(std::to_string(me) + " couldn't decode counter");
  }
  lab::MutexLock lk(mu);
  counter = c;
}

int rsmSrv::Counter() {
  lab::MutexLock lk(mu);
  return counter;
}

}  // namespace rsm_tests
