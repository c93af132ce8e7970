// How a simulated activity blocks (Waiter: park until woken, timed out or
// cancelled) and the primitives built on it: the wait queue, lab::Mutex,
// lab::CondVar, and lab::BlockingLabel for the reports.
#include <boost/fiber/context.hpp>

#include <cstddef>
#include <string>
#include <utility>

#include "lab/lab.hpp"
#include "lab/sim/internal.hpp"

namespace lab {
namespace detail {

// --- waiting ------------------------------------------------------------------

Waiter::Waiter(Sim& s, const char* o, bool c)
    : sim(s), op(o), cancellable(c), rec(s.current()), ident(s.ident()), ctx(bf::context::active()) {
  wid = s.register_waiter(this);
}

Waiter::~Waiter() {
  if (wid) sim.release(wid);
  if (has_timer) sim.timers.erase(timer);
}

void Waiter::set_timer(std::int64_t deadline) {
  timer = TimerKey{deadline + kTimerLatencyNs, ++sim.timer_seq};
  sim.timers.emplace(timer, TimerEntry{wid, {}, {}});
  has_timer = true;
}

void Waiter::park() {
  if (cancellable && rec && rec->killed) throw Killed{};
  if (wid != 0) {  // not woken already
    if (ctx->is_context(bf::type::dispatcher_context))
      sim_abort("a blocking lab:: call ran on the scheduler's own context (in a destructor of a dropped timer?)");
    if (rec) {
      rec->op = op;
      rec->waiting = this;
    }
    parked = true;
    ctx->suspend();
    if (rec) {
      rec->op = nullptr;
      rec->waiting = nullptr;
    }
  }
  if (reason == Wake::Killed) throw Killed{};
}

}  // namespace detail

using namespace detail;

// --- wait queues, Mutex, CondVar ---------------------------------------------------

void WaitQueue::push(std::uint64_t wid) {
  if (Sim* s = tl_sim)
    while (!empty() && s->lookup(ids_[head_]) == nullptr) pop();
  if (head_ > 64 && head_ * 2 > ids_.size()) {
    ids_.erase(ids_.begin(), ids_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  ids_.push_back(wid);
}

void Mutex::lock() {
  Sim& s = sim_or_die("lab::Mutex::lock");
  const void* me = s.ident();
  if (owner_ == me) fail("lab::Mutex locked twice by the same activity (it is not recursive)");
  if (owner_ == nullptr) {
    owner_ = me;
    return;
  }
  Waiter w(s, "Mutex::lock", true);
  waiters_.push(w.wid);
  w.park();  // unlock() made us the owner
}

void Mutex::relock_uncancellable() {
  Sim& s = *tl_sim;
  if (owner_ == nullptr) {
    owner_ = s.ident();
    return;
  }
  Waiter w(s, "Mutex::lock (after CondVar::wait)", false);
  waiters_.push(w.wid);
  w.park();
}

bool Mutex::try_lock() {
  Sim& s = sim_or_die("lab::Mutex::try_lock");
  if (owner_ != nullptr) return false;
  owner_ = s.ident();
  return true;
}

void Mutex::unlock() {
  Sim& s = sim_or_die("lab::Mutex::unlock");
  if (owner_ != s.ident()) fail("lab::Mutex unlocked by an activity that does not hold it");
  while (!waiters_.empty()) {
    std::uint64_t wid = waiters_.pop();
    if (Waiter* w = s.lookup(wid)) {
      owner_ = w->ident;  // hand-off: nobody can barge in between
      s.wake(wid, Wake::Notified);
      return;
    }
  }
  owner_ = nullptr;
}

bool CondVar::wait_impl(Mutex& mu, const Duration* deadline) LAB_NO_TSA {
  Sim& s = sim_or_die("lab::CondVar::wait");
  FiberRec* me = s.current();
  if (me && me->killed) throw Killed{};
  if (deadline && deadline->count() <= s.now()) return false;
  Waiter w(s, deadline ? "CondVar::wait_until" : "CondVar::wait", true);
  waiters_.push(w.wid);
  if (deadline) w.set_timer(deadline->count());
  mu.unlock();
  try {
    w.park();
  } catch (const Killed&) {
    mu.relock_uncancellable();
    throw;
  }
  mu.relock_uncancellable();
  return deadline == nullptr || s.now() < deadline->count();
}

void CondVar::wait(Mutex& mu) { wait_impl(mu, nullptr); }

bool CondVar::wait_until(Mutex& mu, Duration deadline) { return wait_impl(mu, &deadline); }

void CondVar::notify_slow(bool all) {
  Sim& s = sim_or_die("lab::CondVar::notify");
  while (!waiters_.empty())
    if (s.wake(waiters_.pop(), Wake::Notified) && !all) return;
}

BlockingLabel::BlockingLabel(const char* what) : prev_(nullptr) {
  if (tl_sim == nullptr) return;
  if (FiberRec* me = tl_sim->current()) prev_ = std::exchange(me->label, what);
}

BlockingLabel::~BlockingLabel() {
  if (tl_sim == nullptr) return;
  if (FiberRec* me = tl_sim->current()) me->label = prev_;
}

}  // namespace lab
