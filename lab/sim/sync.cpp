// How a simulated activity blocks (Waiter: park until woken, timed out or
// cancelled) and the primitives built on it: the wait queue, lab::Mutex,
// lab::CondVar, and lab::BlockingLabel for the reports.
#include <boost/fiber/context.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "lab/lab.hpp"
#include "lab/sim/internal.hpp"

namespace lab {
namespace detail {

// --- waiting ------------------------------------------------------------------

// A wait is cancellable (cancellation wakes it, and it throws Killed) only
// where the activity may throw: not in cleanup code (see lab.hpp).
Waiter::Waiter(Sim& s, const char* o, bool c)
    : sim(s),
      op(o),
      cancellable(c && (s.current() == nullptr || s.current()->may_throw())),
      rec(s.current()),
      ident(s.ident()),
      ctx(bf::context::active()) {
  wid = s.register_waiter(this);
}

Waiter::~Waiter() {
  if (wid) sim.release(wid);
  if (has_timer) sim.timers.erase(timer);
}

void Waiter::set_timer(std::int64_t deadline) {
  timer = TimerKey{deadline + kTimerLatencyNs, ++sim.timer_seq};
  sim.timers.emplace(timer, TimerEntry{wid, {}, {}, Where::none()});
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

void Sim::check_held_slow(FiberRec* me, const Mutex* except, const char* what, const Where& where) {
  if (const Mutex* m = me->held.other_than(except))
    report_lock_held(what, me->label, where, m->locked_at(), me->name, me->may_throw());
}

void Sim::park_forever(FiberRec* me, const char* why) {
  me->abandoned = true;
  Waiter w(*this, why, false);
  w.park();  // nothing wakes it: see on_idle, which then ends the run
}

}  // namespace detail

using namespace detail;

// --- lab::Killed: each activity counts its live ones ----------------------------------

Killed::Killed() noexcept {
  if (Sim* s = tl_sim)
    if (FiberRec* r = s->current()) ++r->killed_objs;
}

Killed::Killed(const Killed&) noexcept : Killed() {}

Killed::~Killed() {
  if (Sim* s = tl_sim)
    if (FiberRec* r = s->current()) --r->killed_objs;
}

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

void Mutex::took(const Where& where) {
  locked_at_ = where;
  if (FiberRec* me = tl_sim->current()) me->held.add(this);
}

void Mutex::lock(Where where) {
  Sim& s = sim_or_die("lab::Mutex::lock");
  const void* id = s.ident();
  if (owner_ == id) fail("lab::Mutex locked twice by the same activity (it is not recursive)");
  if (owner_ == nullptr) {
    owner_ = id;
    took(where);
    return;
  }
  Waiter w(s, "Mutex::lock", true);
  waiters_.push(w.wid);
  w.park();  // unlock() made us the owner
  took(where);
}

void Mutex::relock_uncancellable(const Where& where) {
  Sim& s = *tl_sim;
  if (owner_ == nullptr) {
    owner_ = s.ident();
    took(where);
    return;
  }
  Waiter w(s, "Mutex::lock (after CondVar::wait)", false);
  waiters_.push(w.wid);
  w.park();
  took(where);
}

bool Mutex::try_lock(Where where) {
  Sim& s = sim_or_die("lab::Mutex::try_lock");
  s.note_op(s.current(), "Mutex::try_lock", &where);
  if (owner_ != nullptr) return false;
  owner_ = s.ident();
  took(where);
  return true;
}

void Mutex::unlock() {
  Sim& s = sim_or_die("lab::Mutex::unlock");
  if (owner_ != s.ident()) fail("lab::Mutex unlocked by an activity that does not hold it");
  if (FiberRec* me = s.current()) me->held.remove(this);
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

bool CondVar::wait_impl(Mutex& mu, const Duration* deadline, const Where& where) LAB_NO_TSA {
  Sim& s = sim_or_die("lab::CondVar::wait");
  FiberRec* me = s.current();
  const char* op = deadline ? "CondVar::wait_until" : "CondVar::wait";
  s.note_op(me, op, &where);
  Sim::cancellation_point(me);
  if (deadline && deadline->count() <= s.now()) return false;
  s.check_held(me, &mu, op, where);
  const Where locked_at = mu.locked_at_;
  Waiter w(s, op, true);
  waiters_.push(w.wid);
  if (deadline) w.set_timer(deadline->count());
  mu.unlock();
  try {
    w.park();
  } catch (const Killed&) {
    mu.relock_uncancellable(locked_at);
    throw;
  }
  mu.relock_uncancellable(locked_at);
  return deadline == nullptr || s.now() < deadline->count();
}

void CondVar::wait(Mutex& mu, Where where) { wait_impl(mu, nullptr, where); }

bool CondVar::wait_until(Mutex& mu, Duration deadline, Where where) { return wait_impl(mu, &deadline, where); }

void CondVar::notify_slow(bool all) {
  Sim& s = sim_or_die("lab::CondVar::notify");
  while (!waiters_.empty())
    if (s.wake(waiters_.pop(), Wake::Notified) && !all) return;
}

BlockingLabel::BlockingLabel(const char* what) : prev_(nullptr) {
  Sim* s = tl_sim;
  if (s == nullptr) return;
  FiberRec* me = s->current();
  if (me) prev_ = std::exchange(me->label, what);
  s->note_op(me, what, nullptr);
}

BlockingLabel::~BlockingLabel() {
  if (tl_sim == nullptr) return;
  if (FiberRec* me = tl_sim->current()) me->label = prev_;
}

// --- cleanup code -------------------------------------------------------------------------

CleanupScope::CleanupScope() : prev_(0) {
  Sim* s = tl_sim;
  if (FiberRec* me = s ? s->current() : nullptr) prev_ = std::exchange(me->throw_at, -1);
}

CleanupScope::~CleanupScope() {
  Sim* s = tl_sim;
  if (FiberRec* me = s ? s->current() : nullptr) me->throw_at = prev_;
}

bool cancellable(const std::function<void()>& fn) {
  Sim* s = tl_sim;
  FiberRec* me = s ? s->current() : nullptr;
  struct Restore {
    FiberRec* me;
    int prev;
    ~Restore() {
      if (me) me->throw_at = prev;
    }
  } restore{me, me ? std::exchange(me->throw_at, me->killed_objs) : 0};
  try {
    fn();
  } catch (const Killed&) {
    return false;
  }
  return true;
}

}  // namespace lab
