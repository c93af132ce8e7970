// lab::Mutex, lab::CondVar and lab::BlockingLabel over real threads: a
// std::mutex with an owner check, and an event count whose waiters spin
// briefly before they sleep and wake at once when cancelled. Also the
// cancellation helpers of lab.hpp (Killed's count, CleanupScope, cancellable).
#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <utility>

#include "lab/lab.hpp"
#include "lab/real/internal.hpp"

namespace lab {
namespace detail {

// How long a waiter spins before it blocks in the kernel. Spinning turns a
// hand-off between two running threads into a few hundred nanoseconds instead
// of two futex calls and a context switch (tens of microseconds on a VM).
constexpr Clock::duration kSpin = std::chrono::microseconds(20);

const void* lock_owner_id() {
  static thread_local char marker;
  return tl_act ? static_cast<const void*>(tl_act) : &marker;
}

void check_held_slow(Activity& a, const Mutex* except, const char* what, const Where& where) {
  if (const Mutex* m = a.held.other_than(except))
    report_lock_held(what, a.label.load(std::memory_order_relaxed), where, m->locked_at(), a.name, a.may_throw());
}

}  // namespace detail

using namespace detail;

// --- lab::Killed: each activity counts its live ones ----------------------------------

Killed::Killed() noexcept {
  if (tl_act) ++tl_act->killed_objs;
}

Killed::Killed(const Killed&) noexcept : Killed() {}

Killed::~Killed() {
  if (tl_act) --tl_act->killed_objs;
}

// --- Mutex and CondVar --------------------------------------------------------------

void Mutex::took(const Where& where) {
  locked_at_ = where;
  if (tl_act) tl_act->held.add(this);
}

void Mutex::lock(Where where) {
  const void* me = lock_owner_id();
  if (owner_.load(std::memory_order_relaxed) == me)
    fail("lab::Mutex locked twice by the same activity (it is not recursive)");
  if (!m_.try_lock()) {
    if (tl_act) {
      Blocked b(*tl_act, "Mutex::lock");
      m_.lock();
    } else {
      m_.lock();
    }
  }
  owner_.store(me, std::memory_order_relaxed);
  took(where);
}

bool Mutex::try_lock(Where where) {
  if (tl_act) tl_act->note_op("Mutex::try_lock", &where);
  if (!m_.try_lock()) return false;
  owner_.store(lock_owner_id(), std::memory_order_relaxed);
  took(where);
  return true;
}

void Mutex::unlock() {
  if (owner_.load(std::memory_order_relaxed) != lock_owner_id())
    fail("lab::Mutex unlocked by an activity that does not hold it");
  if (tl_act) tl_act->held.remove(this);
  owner_.store(nullptr, std::memory_order_relaxed);
  m_.unlock();
}

void CondVar::notify(bool all) {
  {
    std::lock_guard g(im_);
    seq_.fetch_add(1, std::memory_order_release);
  }
  if (blocked_.load(std::memory_order_acquire) == 0) return;
  if (all)
    cv_.notify_all();
  else
    cv_.notify_one();
}

bool CondVar::block(Mutex& mu, const Clock::time_point* deadline, const Where& where) {
  Activity* a = tl_act;
  const char* op = deadline ? "CondVar::wait_until" : "CondVar::wait";
  // In cleanup code a wait is not cut short by the cancellation (lab.hpp).
  const bool cancellable = a && a->may_throw();
  if (a) {
    a->note_op(op, &where);
    throw_if_killed(*a);
    if (!deadline || Clock::now() < *deadline) check_held(*a, &mu, op, where);
  }
  const Where locked_at = mu.locked_at_;
  const std::uint64_t seq0 = seq_.load(std::memory_order_acquire);
  auto notified = [&] { return seq_.load(std::memory_order_acquire) != seq0; };
  {
    std::optional<Blocked> b;
    if (a) b.emplace(*a, op);
    mu.unlock();
    auto spin_for = kSpin;
    if (deadline) spin_for = std::min<Clock::duration>(spin_for, *deadline - Clock::now());
    if (!spin_until(notified, spin_for)) {
      // The callback runs at once if a stop is already requested, so it is
      // registered before im_ is taken.
      std::optional<std::stop_callback<std::function<void()>>> cb;
      if (cancellable)
        cb.emplace(a->stop.get_token(), std::function<void()>([this] {
                     std::lock_guard g(im_);
                     cv_.notify_all();
                   }));
      std::unique_lock g(im_);
      auto done = [&] { return notified() || (cancellable && a->stop.stop_requested()); };
      blocked_.fetch_add(1, std::memory_order_acq_rel);
      if (deadline)
        cv_.wait_until(g, *deadline, done);
      else
        cv_.wait(g, done);
      blocked_.fetch_sub(1, std::memory_order_acq_rel);
    }
    mu.lock(locked_at);
  }
  if (cancellable) throw_if_killed(*a);
  return !deadline || Clock::now() < *deadline;
}

void CondVar::wait(Mutex& mu, Where where) { block(mu, nullptr, where); }

bool CondVar::wait_until(Mutex& mu, Duration deadline, Where where) {
  auto abs = (tl_act ? tl_act->run->start : process_start) + std::chrono::duration_cast<Clock::duration>(deadline);
  return block(mu, &abs, where);
}

// Release and acquire: a report on another thread reads the label's text.
BlockingLabel::BlockingLabel(const char* what) : prev_(nullptr) {
  if (tl_act) {
    prev_ = tl_act->label.exchange(what, std::memory_order_acq_rel);
    tl_act->note_op(what, nullptr);
  }
}

BlockingLabel::~BlockingLabel() {
  if (tl_act) tl_act->label.store(prev_, std::memory_order_release);
}

// --- cleanup code -------------------------------------------------------------------------

CleanupScope::CleanupScope() : prev_(0) {
  if (tl_act) prev_ = std::exchange(tl_act->throw_at, -1);
}

CleanupScope::~CleanupScope() {
  if (tl_act) tl_act->throw_at = prev_;
}

bool cancellable(const std::function<void()>& fn) {
  Activity* a = tl_act;
  struct Restore {
    Activity* a;
    int prev;
    ~Restore() {
      if (a) a->throw_at = prev;
    }
  } restore{a, a ? std::exchange(a->throw_at, a->killed_objs) : 0};
  try {
    fn();
  } catch (const Killed&) {
    return false;
  }
  return true;
}

}  // namespace lab
