// labrpc's own tests, ported from the Go lab's src/labrpc/test_test.go
// with the same setups, checks, bounds and messages; plus
// the bad-input cases Go ends the process on, which here fail the test.
#include <boost/test/unit_test.hpp>

#include <boost/serialization/access.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "lab/chan.hpp"
#include "labrpc/labrpc.hpp"
#include "tests/support/run.hpp"

using namespace std::chrono_literals;

namespace {

struct JunkArgs {
  int X = 0;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & X;
  }
};
struct JunkReply {
  std::string X;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & X;
  }
};

class JunkServer {
 public:
  lab::Mutex mu;
  std::vector<std::string> log1 LAB_GUARDED_BY(mu);
  std::vector<int> log2 LAB_GUARDED_BY(mu);

  void Handler1(const std::string& args, int* reply) {
    lab::MutexLock lk(mu);
    log1.push_back(args);
    *reply = std::stoi(args);
  }
  void Handler2(const int& args, std::string* reply) {
    lab::MutexLock lk(mu);
    log2.push_back(args);
    *reply = "handler2-" + std::to_string(args);
  }
  void Handler3(const int& args, int* reply) {
    lab::MutexLock lk(mu);
    lab::sleep_for(20s);
    *reply = -args;
  }
  // Go's Handler4 takes *JunkArgs and Handler5 JunkArgs; C++ passes both by
  // const reference, so the two differ only in their replies.
  void Handler4(const JunkArgs&, JunkReply* reply) { reply->X = "pointer"; }
  void Handler5(const JunkArgs&, JunkReply* reply) { reply->X = "no pointer"; }
  void Handler6(const std::string& args, int* reply) { *reply = static_cast<int>(args.size()); }
  void Handler7(const int& args, std::string* reply) { *reply = std::string(static_cast<std::size_t>(args), 'y'); }

  std::size_t log2Size() {
    lab::MutexLock lk(mu);
    return log2.size();
  }
};

std::shared_ptr<labrpc::Service> junkService(std::shared_ptr<JunkServer> js) {
  auto svc = std::make_shared<labrpc::Service>("JunkServer");
  svc->Handle("Handler1", js, &JunkServer::Handler1);
  svc->Handle("Handler2", js, &JunkServer::Handler2);
  svc->Handle("Handler3", js, &JunkServer::Handler3);
  svc->Handle("Handler4", js, &JunkServer::Handler4);
  svc->Handle("Handler5", js, &JunkServer::Handler5);
  svc->Handle("Handler6", js, &JunkServer::Handler6);
  svc->Handle("Handler7", js, &JunkServer::Handler7);
  return svc;
}

// A network with one JunkServer registered under `servername`.
struct Fixture {
  std::shared_ptr<labrpc::Network> rn = labrpc::MakeNetwork();
  std::shared_ptr<JunkServer> js = std::make_shared<JunkServer>();
  explicit Fixture(const labrpc::Name& servername) {
    auto rs = std::make_shared<labrpc::Server>();
    rs->AddService(junkService(js));
    rn->AddServer(servername, rs);
  }
  ~Fixture() { rn->Cleanup(); }
};

bool contains(const lab::Result& r, const std::string& needle) {
  for (const auto& f : r.failures)
    if (f.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(labrpc_tests)

BOOST_AUTO_TEST_CASE(TestBasic) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    {
      std::string reply;
      e->Call("JunkServer.Handler2", 111, &reply);
      LAB_CHECK(reply == "handler2-111", "wrong reply from Handler2");
    }
    {
      int reply = 0;
      e->Call("JunkServer.Handler1", std::string("9099"), &reply);
      LAB_CHECK(reply == 9099, "wrong reply from Handler1");
    }
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(TestTypes) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    {
      JunkReply reply;
      e->Call("JunkServer.Handler4", JunkArgs{}, &reply);
      LAB_CHECK(reply.X == "pointer", "wrong reply from Handler4");
    }
    {
      JunkReply reply;
      e->Call("JunkServer.Handler5", JunkArgs{}, &reply);
      LAB_CHECK(reply.X == "no pointer", "wrong reply from Handler5");
    }
  });
  LAB_REQUIRE_PASSED(r);
}

// An end that is connected but not enabled must get no reply; once it is
// enabled, the same server answers.
BOOST_AUTO_TEST_CASE(TestDisconnect) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    {
      std::string reply;
      e->Call("JunkServer.Handler2", 111, &reply);
      LAB_CHECK(reply.empty(), "unexpected reply from Handler2");
    }
    f.rn->Enable("end1-99", true);
    {
      int reply = 0;
      e->Call("JunkServer.Handler1", std::string("9099"), &reply);
      LAB_CHECK(reply == 9099, "wrong reply from Handler1");
    }
  });
  LAB_REQUIRE_PASSED(r);
}

// GetCount(server) tallies every RPC the server received: 17 calls, 17 counted.
BOOST_AUTO_TEST_CASE(TestCounts) {
  auto r = labtest::run([] {
    Fixture f(99);
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", 99);
    f.rn->Enable("end1-99", true);
    for (int i = 0; i < 17; i++) {
      std::string reply;
      e->Call("JunkServer.Handler2", i, &reply);
      std::string wanted = "handler2-" + std::to_string(i);
      LAB_CHECK(reply == wanted, "wrong reply " << reply << " from Handler1, expecting " << wanted);
    }
    int n = f.rn->GetCount(99);
    LAB_CHECK(n == 17, "wrong GetCount() " << n << ", expected 17");
  });
  LAB_REQUIRE_PASSED(r);
}

// Test RPC byte counts: the bounds of the Go test, met by our own encoding.
BOOST_AUTO_TEST_CASE(TestBytes) {
  auto r = labtest::run([] {
    Fixture f(99);
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", 99);
    f.rn->Enable("end1-99", true);
    for (int i = 0; i < 17; i++) {
      std::string args(284, 'x');
      int reply = 0;
      e->Call("JunkServer.Handler6", args, &reply);
      LAB_CHECK(reply == static_cast<int>(args.size()),
                "wrong reply " << reply << " from Handler6, expecting " << args.size());
    }
    std::int64_t n = f.rn->GetTotalBytes();
    LAB_CHECK(n >= 4828 && n <= 6000, "wrong GetTotalBytes() " << n << ", expected about 5000");
    for (int i = 0; i < 17; i++) {
      std::string reply;
      e->Call("JunkServer.Handler7", 107, &reply);
      LAB_CHECK(reply.size() == 107, "wrong reply len=" << reply.size() << " from Handler6, expecting 107");
    }
    std::int64_t nn = f.rn->GetTotalBytes() - n;
    LAB_CHECK(nn >= 1800 && nn <= 2500, "wrong GetTotalBytes() " << nn << ", expected about 2000");
  });
  LAB_REQUIRE_PASSED(r);
}

// Test simultaneous RPCs from one client end.
BOOST_AUTO_TEST_CASE(TestConcurrentMany) {
  auto r = labtest::run([] {
    Fixture f(1000);
    const int nclients = 20, nrpcs = 10;
    lab::Chan<int> ch;
    lab::ShutdownGuard guard;  // the callers use f and ch
    for (int ii = 0; ii < nclients; ii++) {
      lab::go("client", [&, i = ii] {
        int n = 0;
        auto e = f.rn->MakeEnd(std::int64_t{i});
        f.rn->Connect(std::int64_t{i}, 1000);
        f.rn->Enable(std::int64_t{i}, true);
        for (int j = 0; j < nrpcs; j++) {
          int arg = i * 100 + j;
          std::string reply;
          e->Call("JunkServer.Handler2", arg, &reply);
          std::string wanted = "handler2-" + std::to_string(arg);
          LAB_CHECK(reply == wanted, "wrong reply " << reply << " from Handler1, expecting " << wanted);
          n += 1;
        }
        ch.send(n);
      });
    }
    int total = 0;
    for (int ii = 0; ii < nclients; ii++) total += *ch.recv();
    LAB_CHECK(total == nclients * nrpcs,
              "wrong number of RPCs completed, got " << total << ", expected " << nclients * nrpcs);
    int n = f.rn->GetCount(1000);
    LAB_CHECK(n == total, "wrong GetCount() " << n << ", expected " << total);
  });
  LAB_REQUIRE_PASSED(r);
}

// With Reliable(false), many one-shot callers see a mix: some calls get through,
// others are lost, never all and never none.
BOOST_AUTO_TEST_CASE(TestUnreliable) {
  auto r = labtest::run([] {
    Fixture f(1000);
    f.rn->Reliable(false);
    const int nclients = 300;
    lab::Chan<int> ch;
    lab::ShutdownGuard guard;  // the callers use f and ch
    for (int ii = 0; ii < nclients; ii++) {
      lab::go("client", [&, i = ii] {
        int n = 0;
        auto e = f.rn->MakeEnd(std::int64_t{i});
        f.rn->Connect(std::int64_t{i}, 1000);
        f.rn->Enable(std::int64_t{i}, true);
        int arg = i * 100;
        std::string reply;
        if (e->Call("JunkServer.Handler2", arg, &reply)) {
          std::string wanted = "handler2-" + std::to_string(arg);
          LAB_CHECK(reply == wanted, "wrong reply " << reply << " from Handler1, expecting " << wanted);
          n += 1;
        }
        ch.send(n);
      });
    }
    int total = 0;
    for (int ii = 0; ii < nclients; ii++) total += *ch.recv();
    LAB_CHECK(total != nclients && total != 0, "all RPCs succeeded despite unreliable");
  });
  LAB_REQUIRE_PASSED(r);
}

// Many callers share one ClientEnd at once; each gets its own answer and the
// server sees each call exactly once.
BOOST_AUTO_TEST_CASE(TestConcurrentOne) {
  auto r = labtest::run([] {
    Fixture f(1000);
    auto e = f.rn->MakeEnd("c");
    f.rn->Connect("c", 1000);
    f.rn->Enable("c", true);
    const int nrpcs = 20;
    lab::Chan<int> ch;
    lab::ShutdownGuard guard;  // the callers use f and ch
    for (int ii = 0; ii < nrpcs; ii++) {
      lab::go("caller", [&, i = ii] {
        int n = 0;
        int arg = 100 + i;
        std::string reply;
        e->Call("JunkServer.Handler2", arg, &reply);
        std::string wanted = "handler2-" + std::to_string(arg);
        LAB_CHECK(reply == wanted, "wrong reply " << reply << " from Handler2, expecting " << wanted);
        n += 1;
        ch.send(n);
      });
    }
    int total = 0;
    for (int ii = 0; ii < nrpcs; ii++) total += *ch.recv();
    LAB_CHECK(total == nrpcs, "wrong number of RPCs completed, got " << total << ", expected " << nrpcs);
    LAB_CHECK(f.js->log2Size() == static_cast<std::size_t>(nrpcs), "wrong number of RPCs delivered");
    int n = f.rn->GetCount(1000);
    LAB_CHECK(n == total, "wrong GetCount() " << n << ", expected " << total);
  });
  LAB_REQUIRE_PASSED(r);
}

// Guards against an old bug: calls stalled while their end was disabled must
// not hold up the calls made after the end is switched back on.
BOOST_AUTO_TEST_CASE(TestRegression1) {
  auto r = labtest::run([] {
    Fixture f(1000);
    auto e = f.rn->MakeEnd("c");
    f.rn->Connect("c", 1000);
    // Launch callers while the end is off: their RPCs stall before failing.
    f.rn->Enable("c", false);
    const int nrpcs = 20;
    lab::Chan<bool> ch;
    lab::ShutdownGuard guard;
    for (int ii = 0; ii < nrpcs; ii++) {
      lab::go("caller", [&, i = ii] {
        bool ok = false;
        int arg = 100 + i;
        std::string reply;
        // The end is disabled, so this call is expected to fail.
        e->Call("JunkServer.Handler2", arg, &reply);
        ok = true;
        ch.send(ok);
      });
    }
    lab::sleep_for(100ms);
    // Switch the end on: a fresh call must finish promptly, not queue behind
    // the stalled ones.
    auto t0 = lab::now();
    f.rn->Enable("c", true);
    {
      int arg = 99;
      std::string reply;
      e->Call("JunkServer.Handler2", arg, &reply);
      std::string wanted = "handler2-" + std::to_string(arg);
      LAB_CHECK(reply == wanted, "wrong reply " << reply << " from Handler2, expecting " << wanted);
    }
    double dur = std::chrono::duration<double>(lab::now() - t0).count();
    LAB_CHECK(dur <= 0.03, "RPC took too long (" << dur << ") after Enable");
    for (int ii = 0; ii < nrpcs; ii++) ch.recv();
    LAB_CHECK(f.js->log2Size() == 1, "wrong number (" << f.js->log2Size() << ") of RPCs delivered, expected 1");
    int n = f.rn->GetCount(1000);
    LAB_CHECK(n == 1, "wrong GetCount() " << n << ", expected " << 1);
  });
  LAB_REQUIRE_PASSED(r);
}

// A call blocked inside a handler (Handler3 sleeps 20s) must come back, as a
// failure, once DeleteServer() removes its server.
BOOST_AUTO_TEST_CASE(TestKilled) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    lab::Chan<bool> doneCh;
    lab::ShutdownGuard guard;
    lab::go("caller", [&] {
      int reply = 0;
      bool ok = e->Call("JunkServer.Handler3", 99, &reply);
      doneCh.send(ok);
    });
    lab::sleep_for(1000ms);
    auto early = doneCh.recv_for(100ms);
    LAB_CHECK(!early, "Handler3 should not have returned yet");
    f.rn->DeleteServer("server99");
    auto late = doneCh.recv_for(100ms);
    LAB_CHECK(late, "Handler3 should return after DeleteServer()");
    LAB_CHECK(!*late, "Handler3 returned successfully despite DeleteServer()");
  });
  LAB_REQUIRE_PASSED(r);
}

// --- what Go ends the process on: here each fails its test with the message ---

BOOST_AUTO_TEST_CASE(Call_unknownService_failsWithGoMessage) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    int reply = 0;
    e->Call("Nope.Handler1", std::string("1"), &reply);
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(
      contains(r, "labrpc.Server.dispatch(): unknown service Nope in Nope.Handler1; expecting one of [JunkServer]"),
      r.summary());
}

BOOST_AUTO_TEST_CASE(Call_unknownMethod_failsWithGoMessage) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    int reply = 0;
    e->Call("JunkServer.Handler9", std::string("1"), &reply);
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "labrpc.Service.dispatch(): unknown method Handler9 in JunkServer.Handler9; "
                                  "expecting one of [Handler1 Handler2 Handler3 Handler4 Handler5 Handler6 Handler7]"),
                      r.summary());
}

BOOST_AUTO_TEST_CASE(Call_wrongArgumentType_failsNamingBothTypes) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    int reply = 0;
    e->Call("JunkServer.Handler1", 5, &reply);  // Handler1 takes a string
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "JunkServer.Handler1 called with arguments of type int, but its handler takes "
                                  "std::__cxx11::basic_string"),
                      r.summary());
}

BOOST_AUTO_TEST_CASE(Call_undecodableReply_failsWithGoMessage) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    JunkReply reply;  // Handler1 replies with an int, 4 bytes: not a JunkReply
    e->Call("JunkServer.Handler1", std::string("7"), &reply);
  });
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_MESSAGE(contains(r, "ClientEnd.Call(): decode reply: labgob: cannot decode"), r.summary());
}

BOOST_AUTO_TEST_CASE(MakeEnd_twice_failsWithGoMessage) {
  auto r = labtest::run([] {
    auto rn = labrpc::MakeNetwork();
    rn->MakeEnd("x");
    rn->MakeEnd("x");
  });
  BOOST_CHECK_MESSAGE(contains(r, "MakeEnd: x already exists"), r.summary());
}

BOOST_AUTO_TEST_CASE(Cleanup_laterCallsFailAtOnce) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    f.rn->Cleanup();
    std::string reply;
    auto t0 = lab::now();
    bool ok = e->Call("JunkServer.Handler2", 1, &reply);
    LAB_CHECK(!ok, "Call succeeded after Cleanup");
    // At once: no time passes in sim; in real time, far less than a
    // timeout (a preempted thread may still take some milliseconds).
    const lab::Duration took = lab::now() - t0;
    LAB_CHECK(took < (std::string(lab::backend()) == "sim" ? 1ns : 500ms),
              "Call after Cleanup did not return at once (" << took.count() << " ns)");
    LAB_CHECK(f.rn->GetTotalCount() == 0, "a call after Cleanup was counted");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(SetObserver_seesEachCallOnceWithItsFate) {
  auto r = labtest::run([] {
    Fixture f("server99");
    struct Seen {
      std::string end, meth;
      labrpc::CallFate fate;
      lab::Duration took;
      std::size_t replyBytes;
    };
    auto seen = std::make_shared<std::vector<Seen>>();  // one activity calls: no lock needed
    f.rn->SetObserver([seen](const labrpc::CallEvent& ev) {
      seen->push_back({labrpc::to_string(ev.endname), ev.svcMeth, ev.fate, ev.end - ev.start, ev.replyBytes});
    });
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    std::string reply;
    e->Call("JunkServer.Handler2", 7, &reply);  // disabled: unreachable
    f.rn->Enable("end1-99", true);
    e->Call("JunkServer.Handler2", 8, &reply);
    LAB_CHECK(seen->size() == 2, "observer saw " << seen->size() << " calls, want 2");
    const Seen& a = (*seen)[0];
    const Seen& b = (*seen)[1];
    LAB_CHECK(a.end == "end1-99" && a.meth == "JunkServer.Handler2", "first event: " << a.end << " " << a.meth);
    LAB_CHECK(a.fate == labrpc::CallFate::Unreachable, "first fate: " << labrpc::to_string(a.fate));
    LAB_CHECK(b.fate == labrpc::CallFate::Replied && b.replyBytes > 0, "second fate: " << labrpc::to_string(b.fate));
    LAB_CHECK(a.took >= lab::Duration{} && b.took >= lab::Duration{}, "negative call duration");
  });
  LAB_REQUIRE_PASSED(r);
}

// Message control: a request the control drops never reaches the handler;
// a dropped reply comes after the handler ran. Either way Call fails.
BOOST_AUTO_TEST_CASE(SetControl_drop_requestOrReply) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    auto dropReplies = std::make_shared<bool>(false);  // one activity calls: no lock needed
    auto seen = std::make_shared<std::vector<std::pair<std::uint64_t, bool>>>();
    f.rn->SetControl([dropReplies, seen](const labrpc::Message& m) {
      seen->push_back({m.call, m.reply});
      LAB_CHECK(m.svcMeth == "JunkServer.Handler2" && labrpc::to_string(m.endname) == "end1-99" && !m.bytes.empty(),
                "control saw " << m.svcMeth << " on " << labrpc::to_string(m.endname));
      return m.reply == *dropReplies ? labrpc::Decision::Drop : labrpc::Decision::Deliver;
    });
    std::string reply;
    LAB_CHECK(!e->Call("JunkServer.Handler2", 1, &reply), "a dropped request got a reply");
    LAB_CHECK(f.js->log2Size() == 0, "the handler ran for a dropped request");
    *dropReplies = true;
    LAB_CHECK(!e->Call("JunkServer.Handler2", 2, &reply), "a dropped reply arrived");
    LAB_CHECK(f.js->log2Size() == 1, "the handler did not run once for a dropped reply");
    LAB_CHECK(seen->size() == 3, "control saw " << seen->size() << " messages, want 3");
    // The first call ended at its request; the second's request and reply share its number.
    LAB_CHECK((*seen)[1].first == (*seen)[2].first && (*seen)[0].first != (*seen)[1].first && !(*seen)[1].second &&
                  (*seen)[2].second,
              "call numbers do not pair a request with its reply");
    f.rn->SetControl(nullptr);
    LAB_CHECK(e->Call("JunkServer.Handler2", 3, &reply) && reply == "handler2-3", "no reply once control is off");
  });
  LAB_REQUIRE_PASSED(r);
}

// A held message waits, and its Call with it, until Release: delivered, or
// dropped. Cleanup drops whatever is still held.
BOOST_AUTO_TEST_CASE(SetControl_hold_untilReleased) {
  auto r = labtest::run([] {
    Fixture f("server99");
    auto e = f.rn->MakeEnd("end1-99");
    f.rn->Connect("end1-99", "server99");
    f.rn->Enable("end1-99", true);
    auto held = std::make_shared<lab::Chan<std::uint64_t>>(10);
    auto holdReplies = std::make_shared<std::atomic<bool>>(false);
    f.rn->SetControl([held, holdReplies](const labrpc::Message& m) {
      if (m.reply != holdReplies->load()) return labrpc::Decision::Deliver;
      held->send(m.call);
      return labrpc::Decision::Hold;
    });
    auto done = std::make_shared<lab::Chan<std::pair<bool, std::string>>>(10);
    auto call = [e, done](int x) {
      lab::go("caller", [e, done, x] {
        std::string reply;
        bool ok = e->Call("JunkServer.Handler2", x, &reply);
        done->send({ok, reply});
      });
    };

    // A held request: no handler runs until it is released.
    call(1);
    std::uint64_t id = *held->recv();
    lab::sleep_for(1s);
    LAB_CHECK(f.js->log2Size() == 0 && !done->recv_for(0ms), "a held request went on");
    LAB_CHECK(f.rn->Release(id, true), "Release found nothing held");
    LAB_CHECK(!f.rn->Release(id, true), "Release let the same message go twice");
    auto got = done->recv();
    LAB_CHECK(got->first && got->second == "handler2-1", "a released request got no reply");

    // A held reply: the handler has run, the caller waits; dropped on release.
    holdReplies->store(true);
    call(2);
    id = *held->recv();
    lab::sleep_for(1s);
    LAB_CHECK(f.js->log2Size() == 2 && !done->recv_for(0ms), "a held reply arrived");
    f.rn->Release(id, false);
    got = done->recv();
    LAB_CHECK(!got->first, "a reply dropped on release arrived");

    // Still held at Cleanup: dropped.
    call(3);
    held->recv();
    f.rn->Cleanup();
    got = done->recv();
    LAB_CHECK(!got->first, "a message held at Cleanup arrived");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_SUITE_END()
