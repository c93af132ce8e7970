// lab::Mutex and lab::CondVar, simulation backend. Include lab/lab.hpp, not this.
//
// Both are plain data touched only by the simulation's single OS thread, so
// they need no atomics. A blocked activity is represented by a wait id (wid)
// in a FIFO; the runtime's wait registry (Sim, lab/sim/internal.hpp) maps
// live wids to parked fibers. A wid whose waiter already left (timed out,
// cancelled) is stale and skipped, so a queue never holds a dangling pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lab {

namespace detail {

// FIFO of wait ids without per-wait allocation once warmed up.
class WaitQueue {
 public:
  bool empty() const { return head_ == ids_.size(); }
  void push(std::uint64_t wid);  // also drops stale ids at the front
  std::uint64_t pop() {
    std::uint64_t w = ids_[head_++];
    if (head_ == ids_.size()) {
      ids_.clear();
      head_ = 0;
    }
    return w;
  }

 private:
  std::vector<std::uint64_t> ids_;
  std::size_t head_ = 0;
};

}  // namespace detail

// A non-recursive mutex. Locking it twice from one activity, or unlocking it
// from an activity that does not hold it, fails the run with a message.
// unlock() hands the mutex straight to the longest-waiting activity. lock()
// throws lab::Killed in a cancelled activity only when it has to wait.
class LAB_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock(Where where = {}) LAB_ACQUIRE();
  void unlock() LAB_RELEASE();
  bool try_lock(Where where = {}) LAB_TRY_ACQUIRE(true);

  // Where its holder locked it, for reports (meaningless while it is free).
  const Where& locked_at() const { return locked_at_; }

 private:
  friend class CondVar;
  void relock_uncancellable(const Where& where);  // for CondVar: taken back even while cancelled
  void took(const Where& where);                  // the caller now owns it
  const void* owner_ = nullptr;  // null: free
  Where locked_at_ = Where::none();
  detail::WaitQueue waiters_;
};

// Condition variable over a lab::Mutex. Waits may wake spuriously (use the
// predicate forms); a cancelled activity's wait throws lab::Killed, with the
// mutex held again. Deadlines are lab::now() values (virtual time).
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void wait(Mutex& mu, Where where = {}) LAB_REQUIRES(mu);
  // Returns false if the deadline has passed.
  bool wait_until(Mutex& mu, Duration deadline, Where where = {}) LAB_REQUIRES(mu);
  bool wait_for(Mutex& mu, Duration d, Where where = {}) LAB_REQUIRES(mu) { return wait_until(mu, now() + d, where); }

  template <class Pred>
  void wait(Mutex& mu, Pred pred, Where where = {}) LAB_REQUIRES(mu) LAB_NO_TSA {
    while (!pred()) wait(mu, where);
  }
  // Returns pred() as it was when the wait ended.
  template <class Pred>
  bool wait_until(Mutex& mu, Duration deadline, Pred pred, Where where = {}) LAB_REQUIRES(mu) LAB_NO_TSA {
    while (!pred())
      if (!wait_until(mu, deadline, where)) return pred();
    return true;
  }
  template <class Pred>
  bool wait_for(Mutex& mu, Duration d, Pred pred, Where where = {}) LAB_REQUIRES(mu) LAB_NO_TSA {
    return wait_until(mu, now() + d, std::move(pred), where);
  }

  void notify_one() {
    if (!waiters_.empty()) notify_slow(false);
  }
  void notify_all() {
    if (!waiters_.empty()) notify_slow(true);
  }

 private:
  void notify_slow(bool all);
  bool wait_impl(Mutex& mu, const Duration* deadline, const Where& where) LAB_REQUIRES(mu);
  detail::WaitQueue waiters_;
};

}  // namespace lab
