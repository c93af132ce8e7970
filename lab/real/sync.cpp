// lab::Mutex, lab::CondVar and lab::BlockingLabel over real threads: a
// std::mutex with an owner check, and an event count whose waiters spin
// briefly before they sleep and wake at once when cancelled.
#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>

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

}  // namespace detail

using namespace detail;

// --- Mutex and CondVar --------------------------------------------------------------

void Mutex::lock() {
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
}

bool Mutex::try_lock() {
  if (!m_.try_lock()) return false;
  owner_.store(lock_owner_id(), std::memory_order_relaxed);
  return true;
}

void Mutex::unlock() {
  if (owner_.load(std::memory_order_relaxed) != lock_owner_id())
    fail("lab::Mutex unlocked by an activity that does not hold it");
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

bool CondVar::block(Mutex& mu, const Clock::time_point* deadline) {
  Activity* a = tl_act;
  if (a) throw_if_killed(*a);
  const std::uint64_t seq0 = seq_.load(std::memory_order_acquire);
  auto notified = [&] { return seq_.load(std::memory_order_acquire) != seq0; };
  {
    std::optional<Blocked> b;
    if (a) b.emplace(*a, deadline ? "CondVar::wait_until" : "CondVar::wait");
    mu.unlock();
    auto spin_for = kSpin;
    if (deadline) spin_for = std::min<Clock::duration>(spin_for, *deadline - Clock::now());
    if (!spin_until(notified, spin_for)) {
      // The callback runs at once if a stop is already requested, so it is
      // registered before im_ is taken.
      std::optional<std::stop_callback<std::function<void()>>> cb;
      if (a)
        cb.emplace(a->stop.get_token(), std::function<void()>([this] {
                     std::lock_guard g(im_);
                     cv_.notify_all();
                   }));
      std::unique_lock g(im_);
      auto done = [&] { return notified() || (a && a->stop.stop_requested()); };
      blocked_.fetch_add(1, std::memory_order_acq_rel);
      if (deadline)
        cv_.wait_until(g, *deadline, done);
      else
        cv_.wait(g, done);
      blocked_.fetch_sub(1, std::memory_order_acq_rel);
    }
    mu.lock();
  }
  if (a) throw_if_killed(*a);
  return !deadline || Clock::now() < *deadline;
}

void CondVar::wait(Mutex& mu) { block(mu, nullptr); }

bool CondVar::wait_until(Mutex& mu, Duration deadline) {
  auto abs = (tl_act ? tl_act->run->start : process_start) + std::chrono::duration_cast<Clock::duration>(deadline);
  return block(mu, &abs);
}

// Release and acquire: a report on another thread reads the label's text.
BlockingLabel::BlockingLabel(const char* what) : prev_(nullptr) {
  if (tl_act) prev_ = tl_act->label.exchange(what, std::memory_order_acq_rel);
}

BlockingLabel::~BlockingLabel() {
  if (tl_act) tl_act->label.store(prev_, std::memory_order_release);
}

}  // namespace lab
