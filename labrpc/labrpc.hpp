// labrpc — the simulated, unreliable network of the Go lab, rule for rule
// (Go's src/labrpc/labrpc.go). Built on lab:: only, so it runs in both
// backends.
//
//   auto net = labrpc::MakeNetwork();             // inside a lab::run
//   auto end = net->MakeEnd("end1-99");           // a one-way link "client -> one server"
//   auto svc = std::make_shared<labrpc::Service>("Raft");
//   svc->Handle("RequestVote", rf, &Raft::RequestVote);  // void(const Args&, Reply*)
//   auto srv = std::make_shared<labrpc::Server>();
//   srv->AddService(svc);
//   net->AddServer(99, srv);
//   net->Connect("end1-99", 99);
//   net->Enable("end1-99", true);                 // ends start disabled
//   Reply reply;
//   bool ok = end->Call("Raft.RequestVote", args, &reply);
//
// What Call promises: it returns true only if a reply arrived, and then
// *reply holds it. false says nothing about whether the handler ran: the
// request or the reply may have been dropped, the link disabled, the server
// deleted or replaced. It may take long: up to 7 s towards a disconnected
// peer when LongDelays is on, up to 2.2 s with LongReordering; replies may
// arrive in any order. Each request runs its handler as its own activity,
// on fresh argument and reply objects decoded from bytes. Never hold a lock
// across Call: a lab::Mutex held across it is reported (lab/lab.hpp).
//
// Call is a cancellation point, as every lab:: call that may block: in a
// cancelled activity (the test has ended or failed) it throws lab::Killed,
// before Cleanup() and after, so a loop that retries a failed Call ends
// with the test.
//
// Names of ends and servers are ints or strings (Go's interface{} keys):
// the int 99 and the string "99" are different names.
//
// Cleanup() ends the network: later calls fail at once, and the servers are
// released (their handlers' receivers hold ends that point back here).
// Cleanup() never throws lab::Killed: call it from destructors.
//
// Counts: GetTotalCount() counts every Call that reached the network
// (dropped ones too); GetCount(server) counts the requests that reached that
// Server object's dispatcher; GetTotalBytes() the request bytes of every
// call plus the reply bytes of every delivered reply.
//
// A call of an unknown service or method fails the test with Go's message;
// so do argument types that differ between caller and handler, and a reply
// that does not decode.
//
// Watching the wire (the tester's failure timeline): SetObserver(fn) once,
// before the first Call; fn then sees one CallEvent per Call, on the
// caller's activity when the call ends. Without an observer a call pays one
// atomic load.
//
// Steering the wire (the tester's scripted scenarios): SetControl(fn), at
// any time; fn then decides each request before it enters the network and
// each reply before it goes back to its caller: Deliver, Drop or Hold. A
// dropped message is lost after a short delay, as on an unreliable network.
// A held one waits, and its Call with it, until Release(id, deliver) sends
// it on or drops it; Cleanup() drops every held message. A request and its
// reply carry the number of their Call, so fn can follow a call. Calls
// already past the point where fn would see them are not affected by
// SetControl. Without a control a call pays one more atomic load.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "lab/lab.hpp"
#include "labgob/labgob.hpp"

namespace labrpc {

using Name = std::variant<std::int64_t, std::string>;
std::string to_string(const Name& n);

struct Request {
  Name endname;
  std::string svcMeth;      // service.method, such as "Raft.AppendEntries"
  const char* argsType;     // typeid name of the caller's argument type
  labgob::Bytes args;
};

struct ReplyMsg {
  bool ok = false;
  labgob::Bytes reply;
};

// A receiver's handlers, registered by name with their argument and reply types.
class Service {
 public:
  explicit Service(std::string name) : name_(std::move(name)) {}

  template <class Recv, class Args, class Reply>
  void Handle(std::string method, std::shared_ptr<Recv> recv, void (Recv::*fn)(const Args&, Reply*)) {
    methods_[std::move(method)] = Method{typeid(Args).name(), labgob::type_name<Args>(),
                                         [recv, fn](const labgob::Bytes& in) {
                                           Reply reply{};
                                           ((*recv).*fn)(labgob::decode<Args>(in), &reply);
                                           return labgob::encode(reply);
                                         }};
  }

  const std::string& name() const { return name_; }
  // Runs the handler: the reply's bytes. Fails the test on an unknown method.
  labgob::Bytes dispatch(const std::string& method, const Request& req) const;

 private:
  struct Method {
    const char* argsType;
    std::string argsTypeName;
    std::function<labgob::Bytes(const labgob::Bytes&)> run;
  };
  std::string name_;
  std::map<std::string, Method> methods_;  // filled before the server is added, then read-only
};

// A set of services behind one dispatcher, with its own incoming-RPC count.
class Server {
 public:
  void AddService(std::shared_ptr<Service> svc);
  int GetCount();
  labgob::Bytes dispatch(const Request& req);

 private:
  friend class Network;
  // A Call waiting for one of this server's handlers (network.cpp). While a
  // call waits it is on the server's list, so that when the network deletes
  // or replaces the server the call learns it at once, not at its next
  // 100 ms check, which could fall just after a caller's own deadline.
  struct Pending;
  bool enlist(Pending* p);  // false if the server is already gone
  void delist(Pending* p);
  void gone();              // deleted or replaced: wakes every waiting call

  lab::Mutex mu_;
  std::map<std::string, std::shared_ptr<Service>> services_ LAB_GUARDED_BY(mu_);
  int count_ LAB_GUARDED_BY(mu_) = 0;
  Pending* pending_ LAB_GUARDED_BY(mu_) = nullptr;  // head of a doubly linked list
  bool gone_ LAB_GUARDED_BY(mu_) = false;
};

// What became of one Call (the Go lab's silent reasons for `false`).
enum class CallFate : std::uint8_t {
  Replied,        // a reply arrived: Call returned true
  Unreachable,    // end disabled, not connected, or no server: failed after a delay
  RequestLost,    // unreliable network dropped the request; no handler ran
  ServerGone,     // the server was deleted or replaced while its handler ran
  ReplyLost,      // the handler ran, the unreliable network dropped its reply
};
const char* to_string(CallFate f);

// One finished Call, as an observer sees it. The references live as long as
// the observer's call.
struct CallEvent {
  const Name& endname;
  const std::string& svcMeth;
  lab::Duration start;  // lab::now() when Call began, and when it returned
  lab::Duration end;
  CallFate fate;
  std::size_t argsBytes;
  std::size_t replyBytes;  // 0 unless Replied
};
using CallObserver = std::function<void(const CallEvent&)>;

// What a control decides for one message.
enum class Decision : std::uint8_t { Deliver, Drop, Hold };

// One message, as a control sees it. The references live as long as the
// control's call.
struct Message {
  std::uint64_t call;  // the Call's number, from 1; its request and its reply share it
  const Name& endname;
  const std::string& svcMeth;
  bool reply;                  // false: the request, before any handler runs; true: the reply
  const labgob::Bytes& bytes;  // the encoded arguments, or the encoded reply
};
using Control = std::function<Decision(const Message&)>;

class Network;

class ClientEnd {
 public:
  ClientEnd(Name name, std::shared_ptr<Network> net) : name_(std::move(name)), net_(std::move(net)) {}

  template <class Args, class Reply>
  bool Call(const std::string& svcMeth, const Args& args, Reply* reply, lab::Where where = {});

  const Name& name() const { return name_; }

 private:
  Name name_;
  std::shared_ptr<Network> net_;
};

class Network : public std::enable_shared_from_this<Network> {
 public:
  void Cleanup();
  void Reliable(bool yes);
  void LongReordering(bool yes);
  void LongDelays(bool yes);
  bool IsReliable();  // as the 2025 labrpc: the tester's title line says which network

  std::shared_ptr<ClientEnd> MakeEnd(const Name& endname);
  void AddServer(const Name& servername, std::shared_ptr<Server> srv);
  void DeleteServer(const Name& servername);
  void Connect(const Name& endname, const Name& servername);
  void Enable(const Name& endname, bool enabled);

  // Set once, before the first Call (see the top of this file).
  void SetObserver(CallObserver fn);
  // Message control (see the top of this file); an empty fn turns it off.
  void SetControl(Control fn);
  // Lets held message `call` go on (deliver) or drops it. false if no
  // message of that call is held.
  bool Release(std::uint64_t call, bool deliver);

  int GetCount(const Name& servername);
  int GetTotalCount() const { return count_.load(); }
  std::int64_t GetTotalBytes() const { return bytes_.load(); }

  // The network side of ClientEnd::Call (Go's processReq).
  ReplyMsg call(Request req);

 private:
  bool isServerDead(const Name& endname, const Name& servername, const Server* server);
  ReplyMsg processReq(const std::shared_ptr<const Request>& req, std::uint64_t call, CallFate* fate);
  // Asks the control about one message (call 0: not controlled); true to
  // deliver it. Waits while the control holds it.
  bool pass(std::uint64_t call, const Request& req, bool reply, const labgob::Bytes& bytes);

  lab::Mutex mu_;
  bool reliable_ LAB_GUARDED_BY(mu_) = true;
  bool longDelays_ LAB_GUARDED_BY(mu_) = false;
  bool longReordering_ LAB_GUARDED_BY(mu_) = false;
  // The names of the ends made; the network keeps no pointer to them (they
  // point to it, and pointers back would keep both alive).
  std::set<Name> endNames_ LAB_GUARDED_BY(mu_);
  std::map<Name, bool> enabled_ LAB_GUARDED_BY(mu_);
  std::map<Name, std::shared_ptr<Server>> servers_ LAB_GUARDED_BY(mu_);  // null once deleted
  std::map<Name, std::optional<Name>> connections_ LAB_GUARDED_BY(mu_);
  std::atomic<bool> done_{false};
  std::atomic<int> count_{0};
  std::atomic<std::int64_t> bytes_{0};
  CallObserver observer_;            // written once by SetObserver, before any Call
  std::atomic<bool> observed_{false};  // publishes observer_
  // Message control. controlMu_ is never held across the control's call.
  enum class Held : std::uint8_t { Waiting, Deliver, Drop };
  lab::Mutex controlMu_;
  lab::CondVar heldCv_;
  std::shared_ptr<const Control> control_ LAB_GUARDED_BY(controlMu_);
  std::uint64_t calls_ LAB_GUARDED_BY(controlMu_) = 0;            // numbers the controlled calls
  std::map<std::uint64_t, Held> held_ LAB_GUARDED_BY(controlMu_);  // by call
  std::atomic<bool> controlled_{false};
};

std::shared_ptr<Network> MakeNetwork();

// What reports call a Call in progress (one address: the reports compare it).
inline constexpr char kCallWhat[] = "labrpc Call";

// Decoding a reply that does not hold a Reply is fatal in Go; here it fails the test.
[[noreturn]] void failDecodeReply(const std::string& why);

template <class Args, class Reply>
bool ClientEnd::Call(const std::string& svcMeth, const Args& args, Reply* reply, lab::Where where) {
  lab::checkpoint(kCallWhat, where);  // before the encoding: a cancelled retry loop costs nothing more
  ReplyMsg rep = net_->call(Request{name_, svcMeth, typeid(Args).name(), labgob::encode(args)});
  if (!rep.ok) return false;
  try {
    *reply = labgob::decode<Reply>(rep.reply);
  } catch (const labgob::DecodeError& e) {
    failDecodeReply(e.what());
  }
  return true;
}

}  // namespace labrpc
