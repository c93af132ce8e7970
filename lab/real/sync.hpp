// lab::Mutex and lab::CondVar, real-threads backend. Include lab/lab.hpp, not this.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace lab {

namespace detail {
struct Activity;
Activity* current_activity();
}  // namespace detail

// A non-recursive mutex. Locking it twice from one activity, or unlocking it
// from an activity that does not hold it, fails the run with a message.
// lock() is not a cancellation point: the holder lets go soon enough.
class LAB_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock(Where where = {}) LAB_ACQUIRE();
  void unlock() LAB_RELEASE();
  bool try_lock(Where where = {}) LAB_TRY_ACQUIRE(true);

  // Where its holder locked it, for reports; read it only while holding it.
  const Where& locked_at() const { return locked_at_; }

 private:
  friend class CondVar;
  void took(const Where& where);  // the caller now owns it
  std::mutex m_;
  std::atomic<const void*> owner_{nullptr};
  Where locked_at_ = Where::none();  // written and read by the holder only
};

// Condition variable over a lab::Mutex. Waits may wake spuriously (use the
// predicate forms); a cancelled activity's wait throws lab::Killed, with the
// mutex held again. Deadlines are lab::now() values.
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
  // Returns pred() as it was when the wait ended. (The predicate reads state
  // guarded by the caller's mutex under another name, which Clang cannot
  // match to `mu`; callers are still checked to hold it.)
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

  void notify_one() { notify(false); }
  void notify_all() { notify(true); }

 private:
  // An event count: every notify bumps seq_ under im_; a waiter returns once
  // seq_ moved past the value it read while holding the caller's mutex, so
  // no notify is lost. A waiter spins briefly before it blocks: a hand-off
  // between two running threads then costs no futex round trip.
  bool block(Mutex& mu, const std::chrono::steady_clock::time_point* deadline, const Where& where) LAB_REQUIRES(mu);
  void notify(bool all);
  std::mutex im_;
  std::condition_variable cv_;
  std::atomic<std::uint64_t> seq_{0};  // written under im_
  std::atomic<int> blocked_{0};        // waiters inside cv_ (not spinning)
};

}  // namespace lab
