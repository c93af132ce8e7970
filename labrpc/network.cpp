// The network side of labrpc: Go's labrpc.go processReq, step by step. The
// Go lab hands each request to a dispatcher goroutine that starts one
// goroutine per request; here the calling activity does that work itself,
// which is the same to every observer (the dispatcher never blocks) and saves
// two hand-offs.
#include <cstdio>
#include <sstream>

#include "labrpc/labrpc.hpp"

namespace labrpc {

using namespace std::chrono_literals;

std::string to_string(const Name& n) {
  if (const auto* i = std::get_if<std::int64_t>(&n)) return std::to_string(*i);
  return std::get<std::string>(n);
}

std::shared_ptr<Network> MakeNetwork() { return std::make_shared<Network>(); }

void failDecodeReply(const std::string& why) { lab::fail("ClientEnd.Call(): decode reply: " + why); }

// --- Service and Server (labrpc.go's dispatch by name) --------------------------

namespace {
std::string list(const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < names.size(); i++) s += (i ? " " : "") + names[i];
  return s + "]";
}
}  // namespace

labgob::Bytes Service::dispatch(const std::string& method, const Request& req) const {
  auto it = methods_.find(method);
  if (it == methods_.end()) {
    std::vector<std::string> choices;
    for (const auto& [m, _] : methods_) choices.push_back(m);
    lab::fail("labrpc.Service.dispatch(): unknown method " + method + " in " + req.svcMeth +
              "; expecting one of " + list(choices));
  }
  const Method& m = it->second;
  if (req.argsType != m.argsType && std::string_view(req.argsType) != m.argsType)
    lab::fail("labrpc: " + req.svcMeth + " called with arguments of type " +
              boost::core::demangle(req.argsType) + ", but its handler takes " + m.argsTypeName);
  return m.run(req.args);
}

void Server::AddService(std::shared_ptr<Service> svc) {
  lab::MutexLock lk(mu_);
  services_[svc->name()] = std::move(svc);
}

int Server::GetCount() {
  lab::MutexLock lk(mu_);
  return count_;
}

labgob::Bytes Server::dispatch(const Request& req) {
  std::shared_ptr<Service> svc;
  std::string svcName, method;
  {
    lab::MutexLock lk(mu_);
    count_ += 1;
    auto dot = req.svcMeth.rfind('.');
    svcName = dot == std::string::npos ? std::string() : req.svcMeth.substr(0, dot);
    method = dot == std::string::npos ? req.svcMeth : req.svcMeth.substr(dot + 1);
    if (auto it = services_.find(svcName); it != services_.end()) svc = it->second;
    if (!svc) {
      std::vector<std::string> choices;
      for (const auto& [s, _] : services_) choices.push_back(s);
      lk.unlock();
      lab::fail("labrpc.Server.dispatch(): unknown service " + svcName + " in " + svcName + "." + method +
                "; expecting one of " + list(choices));
    }
  }
  return svc->dispatch(method, req);
}

// --- Network (labrpc.go's Network methods) --------------------------------------

const char* to_string(CallFate f) {
  switch (f) {
    case CallFate::Replied:
      return "replied";
    case CallFate::Unreachable:
      return "unreachable";
    case CallFate::RequestLost:
      return "request lost";
    case CallFate::ServerGone:
      return "server gone";
    case CallFate::ReplyLost:
      return "reply lost";
  }
  return "?";
}

void Network::Cleanup() {
  lab::CleanupScope cleanup;  // called from destructors, also in a cancelled activity
  done_ = true;
  // Later calls fail at once, so the servers are no longer reachable. Drop
  // them: a server's handlers hold their receiver (a Raft), which holds its
  // ends, which hold this network, and without Go's garbage collector that
  // circle would never be freed. Handlers still running keep their own server.
  {
    lab::MutexLock lk(mu_);
    servers_.clear();
  }
  // Held messages are lost with the network, and the control goes (it may
  // hold what holds this network).
  lab::MutexLock lk(controlMu_);
  control_ = nullptr;
  controlled_ = false;
  for (auto& [call, held] : held_) held = Held::Drop;
  heldCv_.notify_all();
}

void Network::SetObserver(CallObserver fn) {
  if (observed_.load(std::memory_order_acquire)) lab::fail("labrpc: SetObserver called twice");
  observer_ = std::move(fn);
  observed_.store(true, std::memory_order_release);
}

void Network::SetControl(Control fn) {
  lab::MutexLock lk(controlMu_);
  control_ = fn ? std::make_shared<const Control>(std::move(fn)) : nullptr;
  controlled_.store(control_ != nullptr, std::memory_order_release);
}

bool Network::Release(std::uint64_t call, bool deliver) {
  lab::MutexLock lk(controlMu_);
  auto it = held_.find(call);
  if (it == held_.end() || it->second != Held::Waiting) return false;
  it->second = deliver ? Held::Deliver : Held::Drop;
  heldCv_.notify_all();
  return true;
}

// The control is called without any lock of the network, so it may take its
// own and look at the cluster. A message it drops costs the caller a short
// delay, as a message lost on an unreliable network does: a Raft that resends
// at once on failure would otherwise spin without time passing.
bool Network::pass(std::uint64_t call, const Request& req, bool reply, const labgob::Bytes& bytes) {
  std::shared_ptr<const Control> control;
  {
    lab::MutexLock lk(controlMu_);
    control = control_;
  }
  if (!control) return true;  // turned off since the call began
  const Decision decision = (*control)(Message{call, req.endname, req.svcMeth, reply, bytes});
  bool deliver = decision == Decision::Deliver;
  if (decision == Decision::Hold) {
    lab::MutexLock lk(controlMu_);
    held_[call] = Held::Waiting;
    struct Forget {  // however the wait ends, lab::Killed included (the lock is held again then)
      std::map<std::uint64_t, Held>& held;
      std::uint64_t call;
      ~Forget() { held.erase(call); }
    } forget{held_, call};
    heldCv_.wait(controlMu_, [&]() LAB_REQUIRES(controlMu_) { return held_[call] != Held::Waiting || done_; });
    deliver = held_[call] == Held::Deliver && !done_;
  }
  if (!deliver) lab::sleep_for(std::chrono::milliseconds(lab::rand_intn(27)));
  return deliver;
}

void Network::Reliable(bool yes) {
  lab::MutexLock lk(mu_);
  reliable_ = yes;
}

bool Network::IsReliable() {
  lab::MutexLock lk(mu_);
  return reliable_;
}

void Network::LongReordering(bool yes) {
  lab::MutexLock lk(mu_);
  longReordering_ = yes;
}

void Network::LongDelays(bool yes) {
  lab::MutexLock lk(mu_);
  longDelays_ = yes;
}

std::shared_ptr<ClientEnd> Network::MakeEnd(const Name& endname) {
  lab::MutexLock lk(mu_);
  if (!endNames_.insert(endname).second) lab::fail("MakeEnd: " + to_string(endname) + " already exists");
  auto e = std::make_shared<ClientEnd>(endname, shared_from_this());
  enabled_[endname] = false;
  connections_[endname] = std::nullopt;
  return e;
}

void Network::AddServer(const Name& servername, std::shared_ptr<Server> srv) {
  std::shared_ptr<Server> old;
  {
    lab::MutexLock lk(mu_);
    old = std::exchange(servers_[servername], std::move(srv));
  }
  if (old) old->gone();
}

void Network::DeleteServer(const Name& servername) {
  std::shared_ptr<Server> old;
  {
    lab::MutexLock lk(mu_);
    old = std::exchange(servers_[servername], nullptr);
  }
  if (old) old->gone();
}

void Network::Connect(const Name& endname, const Name& servername) {
  lab::MutexLock lk(mu_);
  connections_[endname] = servername;
}

void Network::Enable(const Name& endname, bool enabled) {
  lab::MutexLock lk(mu_);
  enabled_[endname] = enabled;
}

int Network::GetCount(const Name& servername) {
  std::shared_ptr<Server> srv;
  {
    lab::MutexLock lk(mu_);
    auto it = servers_.find(servername);
    if (it != servers_.end()) srv = it->second;
  }
  if (!srv) lab::fail("labrpc: GetCount(" + to_string(servername) + "): no such server (deleted?)");
  return srv->GetCount();
}

bool Network::isServerDead(const Name& endname, const Name& servername, const Server* server) {
  lab::MutexLock lk(mu_);
  if (!enabled_[endname]) return true;
  auto it = servers_.find(servername);
  return it == servers_.end() || it->second.get() != server;
}

ReplyMsg Network::call(Request request) {
  // Go: the hand-off to the dispatcher fails at once after Cleanup. (A
  // cancelled caller never gets here: lab::checkpoint threw lab::Killed.)
  if (done_) return {};
  lab::BlockingLabel label(kCallWhat);
  // Shared with the handler activity, which may outlive this call.
  auto shared = std::make_shared<const Request>(std::move(request));
  const Request& req = *shared;
  count_ += 1;
  bytes_ += static_cast<std::int64_t>(req.args.size());
  const bool observed = observed_.load(std::memory_order_acquire);
  const lab::Duration start = observed ? lab::now() : lab::Duration{};
  std::uint64_t controlled = 0;  // the call's number for the control, 0 if there is none
  if (controlled_.load(std::memory_order_acquire)) {
    lab::MutexLock lk(controlMu_);
    if (control_) controlled = ++calls_;
  }
  CallFate fate = CallFate::Replied;
  ReplyMsg rep = processReq(shared, controlled, &fate);
  if (lab::trace_enabled())
    lab::trace(lab::time_string() + " rpc " + to_string(req.endname) + " " + req.svcMeth + " " +
               std::to_string(req.args.size()) + (rep.ok ? " ok " + std::to_string(rep.reply.size()) : " failed"));
  if (observed)
    observer_(CallEvent{req.endname, req.svcMeth, start, lab::now(), fate, req.args.size(), rep.ok ? rep.reply.size() : 0});
  return rep;
}

// Where a handler activity leaves its result for the waiting caller; also
// an entry of the server's list of waiting calls (prev, next: guarded by the
// server's mu_, taken before this one's).
struct Server::Pending {
  lab::Mutex mu;
  lab::CondVar cv;
  bool done LAB_GUARDED_BY(mu) = false;
  bool gone LAB_GUARDED_BY(mu) = false;  // the server was deleted or replaced
  labgob::Bytes reply LAB_GUARDED_BY(mu);
  Pending* prev = nullptr;
  Pending* next = nullptr;
};

bool Server::enlist(Pending* p) {
  lab::MutexLock lk(mu_);
  if (gone_) return false;
  p->next = pending_;
  if (pending_) pending_->prev = p;
  pending_ = p;
  return true;
}

void Server::delist(Pending* p) {
  lab::MutexLock lk(mu_);
  if (gone_) return;  // gone() has let go of the whole list
  (p->prev ? p->prev->next : pending_) = p->next;
  if (p->next) p->next->prev = p->prev;
}

void Server::gone() {
  lab::MutexLock lk(mu_);
  gone_ = true;
  for (Pending* p = std::exchange(pending_, nullptr); p != nullptr; p = p->next) {
    lab::MutexLock plk(p->mu);
    p->gone = true;
    p->cv.notify_all();
  }
}


ReplyMsg Network::processReq(const std::shared_ptr<const Request>& shared, std::uint64_t call, CallFate* fate) {
  const Request& req = *shared;
  // The control sees the request before the network does.
  if (call != 0 && !pass(call, req, false, req.args)) {
    *fate = CallFate::RequestLost;
    return {};
  }
  // One consistent reading of the tables.
  bool enabled, reliable, longReordering;
  std::optional<Name> servername;
  std::shared_ptr<Server> server;
  {
    lab::MutexLock lk(mu_);
    enabled = enabled_[req.endname];
    servername = connections_[req.endname];
    if (servername) {
      auto it = servers_.find(*servername);
      if (it != servers_.end()) server = it->second;
    }
    reliable = reliable_;
    longReordering = longReordering_;
  }

  // Not deliverable: fail after a delay, no handler runs.
  if (!enabled || !servername || !server) {
    bool longDelays;
    {
      lab::MutexLock lk(mu_);
      longDelays = longDelays_;
    }
    *fate = CallFate::Unreachable;
    lab::sleep_for(std::chrono::milliseconds(lab::rand_intn(longDelays ? 7000 : 100)));
    return {};
  }

  // Short delay and request drop on an unreliable network.
  if (!reliable) {
    lab::sleep_for(std::chrono::milliseconds(lab::rand_intn(27)));
    if (lab::rand_intn(1000) < 100) {
      *fate = CallFate::RequestLost;
      return {};
    }
  }

  // The handler runs as its own activity.
  auto result = std::make_shared<Server::Pending>();
  lab::go(req.svcMeth, [server, result, shared] {
    labgob::Bytes reply = server->dispatch(*shared);
    lab::MutexLock lk(result->mu);
    result->done = true;
    result->reply = std::move(reply);
    result->cv.notify_all();
  });

  // Wait for it, checking every 100 ms whether the server died meanwhile (a
  // deleted or replaced server wakes the wait at once: Server::gone). A
  // handler that outlives the wait finishes on its own and its reply is
  // dropped with `result`.
  struct Enlisted {  // on the server's list for the wait, off it however the wait ends
    Server& server;
    Server::Pending* pending;
    const bool on = server.enlist(pending);
    ~Enlisted() {
      if (on) server.delist(pending);
    }
  } enlisted{*server, result.get()};
  bool done = false, dead = !enlisted.on;
  labgob::Bytes reply;
  if (!dead) {
    lab::MutexLock lk(result->mu);
    auto poll = lab::now() + 100ms;
    while (!(done = result->done) && !(dead = result->gone)) {
      if (result->cv.wait_until(result->mu, poll)) continue;  // woken before the poll is due
      lk.unlock();
      dead = isServerDead(req.endname, *servername, server.get());
      lk.lock();
      if (dead) break;
      poll = lab::now() + 100ms;  // a fresh 100 ms each time round
    }
    if (done) reply = std::move(result->reply);
  }

  // The control sees the reply before the caller does; the checks below
  // still apply when it lets a held reply go.
  if (call != 0 && done && !dead && !pass(call, req, true, reply)) {
    *fate = CallFate::ReplyLost;
    return {};
  }

  // Look again after the wait: if the server was deleted or its link disabled
  // in the meantime, the reply is thrown away. The tester deletes a server
  // before it swaps the Persister, so no caller hears of success for a write
  // that went into a Persister already abandoned.
  if (!dead) dead = isServerDead(req.endname, *servername, server.get());

  // The outcome.
  if (!done || dead) {
    *fate = CallFate::ServerGone;
    return {};
  }
  if (!reliable && lab::rand_intn(1000) < 100) {  // reply lost (10 %)
    *fate = CallFate::ReplyLost;
    return {};
  }
  if (longReordering && lab::rand_intn(900) < 600) {
    // Delay the reply by 200 + U{0..U{0..1999}} ms, skewed towards short delays.
    std::int64_t upper = lab::rand_intn(2000);
    lab::sleep_for(std::chrono::milliseconds(200 + lab::rand_intn(upper + 1)));
  }
  bytes_ += static_cast<std::int64_t>(reply.size());
  return {true, std::move(reply)};
}

}  // namespace labrpc
