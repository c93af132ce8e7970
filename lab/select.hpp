// lab::select — Go's select statement over lab::Chan.
//
//   int chosen = lab::select(
//       lab::recv(requests, [&](Request r, bool ok) { ... }),  // case r, ok := <-requests:
//       lab::recv(replies, [&](Reply r) { ... }),              // case r := <-replies:
//       lab::send(out, value, [&] { ... }),                    // case out <- value:
//       lab::timeout(100ms, [&] { ... }));                     // case <-time.After(100 * time.Millisecond):
//
//   lab::select(lab::recv(done), lab::otherwise([&] { ... }));  // case <-done: ... default: ...
//
// A case is a channel operation and what to do once it happened; the
// callback (optional) runs in the calling activity after the select has let
// go of every channel, so it may use channels, select again, or set the flags
// a loop tests (a C++ lambda cannot `break` or `return` for the caller).
// select returns the position of the chosen case, from 0.
//
// As in Go:
// - A case is ready when its operation can go ahead now: a value (or a
//   blocked sender) to receive, room in the buffer (or a blocked receiver) to
//   send to. When several are ready, one is chosen uniformly at random, with
//   the run's seeded source (lab::rand_u64), so a sim run stays replayable.
// - With none ready, lab::otherwise runs at once; otherwise the select blocks
//   until a case can go ahead or lab::timeout's delay, counted from the start
//   of the select (time.After evaluated in the select statement), has passed.
// - A receive from a closed channel is ready and gives ok == false (see
//   lab::recv below for the callback's forms). A send to a closed channel
//   fails the run, as Chan::send does, when that case is the one tried (Go
//   panics).
// - An unbuffered send completes only when a receiver takes the value; a
//   select may meet a plain send/recv or another select on the other end.
// - A null Chan<T>* makes a case that is never ready (Go's nil channel), and
//   lab::select() with no case, or only such cases, blocks for ever.
//
// Blocking is a cancellation point: a cancelled activity's select throws
// lab::Killed (a case a counterpart completed just before is lost with it).
// Deadlock and time-limit reports name what it waits on:
// "blocked in select: recv on applyCh S1, timeout (CondVar::wait_until)".
//
// Timers in select: lab::Timer / lab::Ticker (lab/timer.hpp) have C().
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "lab/chan.hpp"
#include "lab/lab.hpp"

namespace lab {

namespace detail {

// The callback of a case given none.
struct Noop {
  template <class... A>
  void operator()(A&&...) const {}
};

// One case, as select sees it. The channel cases hold their channel's
// internals through friendship; poll, enqueue and dequeue run with the
// channel's mutex held.
class CaseBase {
 public:
  enum class Kind { Chan, Default, Timeout };
  enum class Poll { NotReady, Done, Offered };

  explicit CaseBase(Kind k) : kind_(k) {}
  CaseBase(const CaseBase&) = delete;
  CaseBase& operator=(const CaseBase&) = delete;

  Kind kind() const { return kind_; }
  virtual Mutex* mutex() { return nullptr; }          // null: no channel, or a nil one
  virtual Poll poll() { return Poll::NotReady; }      // tries the operation now
  virtual void awaitTaken() {}                        // after Offered: until a receiver took it
  virtual void enqueue(SelectWait&, int /*idx*/) {}   // registers on the channel
  virtual void dequeue() {}                           // and leaves it
  virtual void woken() {}                             // completed by a counterpart: any error to raise
  virtual Duration delay() const { return {}; }       // a timeout case's delay
  virtual void describe(std::string& out) const = 0;  // for the blocking label
  virtual void run() = 0;                             // the callback

 protected:
  ~CaseBase() = default;

 private:
  const Kind kind_;
};

template <class T, class F>
class RecvCase final : public CaseBase {
 public:
  static constexpr bool kSpecial = false;
  RecvCase(Chan<T>* ch, F fn) : CaseBase(Kind::Chan), ch_(ch), fn_(std::move(fn)) {}

  Mutex* mutex() override { return ch_ ? &ch_->mu_ : nullptr; }
  Poll poll() override LAB_NO_TSA { return ch_->selectRecv(got_) ? Poll::Done : Poll::NotReady; }
  void enqueue(SelectWait& sw, int idx) override LAB_NO_TSA {
    entry_.sel = &sw;
    entry_.idx = idx;
    entry_.got = &got_;
    ch_->selectEnqueue(&entry_, false);
  }
  void dequeue() override LAB_NO_TSA { ch_->selectDequeue(&entry_); }
  void describe(std::string& out) const override {
    out += "recv on ";
    out += ch_ ? ch_->name() : std::string("nil channel");
  }
  void run() override {
    if constexpr (std::is_same_v<F, Noop>) {
    } else if constexpr (std::is_invocable_v<F&, T, bool>) {
      const bool ok = got_.has_value();
      fn_(ok ? std::move(*got_) : T{}, ok);
    } else if constexpr (std::is_invocable_v<F&, std::optional<T>>) {
      fn_(std::move(got_));
    } else if constexpr (std::is_invocable_v<F&, T>) {
      if (got_)
        fn_(std::move(*got_));
      else
        fn_(T{});
    } else {
      fn_();
    }
  }

 private:
  Chan<T>* const ch_;
  F fn_;
  std::optional<T> got_;
  SelectEntry<T> entry_;
};

template <class T, class F>
class SendCase final : public CaseBase {
 public:
  static constexpr bool kSpecial = false;
  SendCase(Chan<T>* ch, T v, F fn) : CaseBase(Kind::Chan), ch_(ch), value_(std::move(v)), fn_(std::move(fn)) {}

  Mutex* mutex() override { return ch_ ? &ch_->mu_ : nullptr; }
  Poll poll() override LAB_NO_TSA {
    switch (ch_->selectSend(value_, ticket_)) {
      case Chan<T>::SendPoll::Done:
        return Poll::Done;
      case Chan<T>::SendPoll::Offered:
        return Poll::Offered;
      case Chan<T>::SendPoll::NotReady:
        break;
    }
    return Poll::NotReady;
  }
  void awaitTaken() override { ch_->selectAwaitTaken(ticket_); }
  void enqueue(SelectWait& sw, int idx) override LAB_NO_TSA {
    entry_.sel = &sw;
    entry_.idx = idx;
    entry_.value = &value_;
    ch_->selectEnqueue(&entry_, true);
  }
  void dequeue() override LAB_NO_TSA { ch_->selectDequeue(&entry_); }
  void woken() override {
    if (entry_.closed) fail("send on closed channel " + ch_->name() + " (closed while the select waited)");
  }
  void describe(std::string& out) const override {
    out += "send on ";
    out += ch_ ? ch_->name() : std::string("nil channel");
  }
  void run() override { fn_(); }

 private:
  Chan<T>* const ch_;
  T value_;
  F fn_;
  std::uint64_t ticket_ = 0;
  SelectEntry<T> entry_;
};

template <class F>
class DefaultCase final : public CaseBase {
 public:
  static constexpr bool kSpecial = true;
  explicit DefaultCase(F fn) : CaseBase(Kind::Default), fn_(std::move(fn)) {}
  void describe(std::string& out) const override { out += "default"; }
  void run() override { fn_(); }

 private:
  F fn_;
};

template <class F>
class TimeoutCase final : public CaseBase {
 public:
  static constexpr bool kSpecial = true;
  TimeoutCase(Duration d, F fn) : CaseBase(Kind::Timeout), d_(d), fn_(std::move(fn)) {}
  Duration delay() const override { return d_; }
  void describe(std::string& out) const override { out += "timeout"; }
  void run() override { fn_(); }

 private:
  const Duration d_;
  F fn_;
};

// Holds the mutexes of a select's channels, taken in address order (every
// select takes them so, and a plain operation holds one at a time, so none
// can deadlock). In sim nobody ever blocks on them: no activity parks while
// holding a channel's mutex.
class LockSet {
 public:
  LockSet(Mutex** mus, int n) LAB_NO_TSA : mus_(mus) {
    std::sort(mus, mus + n, std::less<Mutex*>());
    n = static_cast<int>(std::unique(mus, mus + n) - mus);
    try {
      for (; held_ < n; held_++) mus_[held_]->lock();
    } catch (...) {
      unlock();
      throw;
    }
  }
  ~LockSet() { unlock(); }
  LockSet(const LockSet&) = delete;
  LockSet& operator=(const LockSet&) = delete;
  void unlock() LAB_NO_TSA {
    while (held_ > 0) mus_[--held_]->unlock();
  }

 private:
  Mutex** const mus_;
  int held_ = 0;
};

// A blocked select's registrations on its channels; withdrawn (each channel
// locked in turn) before the select returns or unwinds.
class Registration {
 public:
  Registration(CaseBase* const* cs, const int* order, int m) : cs_(cs), order_(order), m_(m) {}
  ~Registration() { withdraw(); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  // With every channel's mutex held.
  void enqueue(SelectWait& sw) {
    for (int t = 0; t < m_; t++) cs_[order_[t]]->enqueue(sw, order_[t]);
    armed_ = true;
  }
  void withdraw() LAB_NO_TSA {
    if (!armed_) return;
    armed_ = false;
    for (int t = 0; t < m_; t++) {
      CaseBase* c = cs_[order_[t]];
      MutexLock lk(*c->mutex());
      c->dequeue();
    }
  }

 private:
  CaseBase* const* cs_;
  const int* order_;
  const int m_;
  bool armed_ = false;
};

// The select statement over n cases; order and locks are scratch of n ints
// and n pointers.
inline int selectImpl(CaseBase* const* cs, int n, int* order, Mutex** locks) {
  int special = -1;  // the default or timeout case
  bool timed = false;
  Duration deadline{};
  int m = 0;  // channel cases with a channel
  for (int i = 0; i < n; i++) {
    switch (cs[i]->kind()) {
      case CaseBase::Kind::Chan:
        if (cs[i]->mutex()) order[m++] = i;
        break;
      case CaseBase::Kind::Timeout:
        timed = true;
        deadline = now() + cs[i]->delay();
        special = i;
        break;
      case CaseBase::Kind::Default:
        special = i;
        break;
    }
  }
  // Go's poll order: a random permutation, so that the first ready case in it
  // is uniform among the ready ones.
  for (int i = m - 1; i > 0; i--) std::swap(order[i], order[rand_intn(i + 1)]);
  for (int t = 0; t < m; t++) locks[t] = cs[order[t]]->mutex();

  SelectWait sw;
  Registration reg(cs, order, m);  // after sw: withdrawn before sw dies
  {
    LockSet held(locks, m);
    for (int t = 0; t < m; t++) {
      const int i = order[t];
      switch (cs[i]->poll()) {
        case CaseBase::Poll::NotReady:
          continue;
        case CaseBase::Poll::Done:
          held.unlock();
          cs[i]->run();
          return i;
        case CaseBase::Poll::Offered:
          held.unlock();
          cs[i]->awaitTaken();
          cs[i]->run();
          return i;
      }
    }
    if (special >= 0 && (!timed || deadline <= now())) {
      held.unlock();
      cs[special]->run();
      return special;
    }
    reg.enqueue(sw);
  }

  int fired;
  {
    std::string what = "select:";
    for (int i = 0; i < n; i++) {
      what += i ? ", " : " ";
      cs[i]->describe(what);
    }
    BlockingLabel label(what.c_str());
    MutexLock lk(sw.mu_);
    try {
      while (sw.fired_ == SelectWait::kPending) {
        if (!timed)
          sw.cv_.wait(sw.mu_);
        else if (!sw.cv_.wait_until(sw.mu_, deadline) && sw.fired_ == SelectWait::kPending)
          sw.fired_ = SelectWait::kTimedOut;
      }
    } catch (const Killed&) {
      if (sw.fired_ == SelectWait::kPending) sw.fired_ = SelectWait::kCancelled;
      throw;
    }
    fired = sw.fired_;
  }
  reg.withdraw();
  if (fired == SelectWait::kTimedOut) {
    cs[special]->run();
    return special;
  }
  cs[fired]->woken();
  cs[fired]->run();
  return fired;
}

template <class C>
inline constexpr bool kIsCase = std::is_base_of_v<CaseBase, std::remove_cvref_t<C>>;

template <class T, class F>
constexpr void checkRecvCallback() {
  static_assert(std::is_invocable_v<F&, T, bool> || std::is_invocable_v<F&, std::optional<T>> ||
                    std::is_invocable_v<F&, T> || std::is_invocable_v<F&>,
                "a lab::recv callback takes (T v, bool ok), std::optional<T>, T, or nothing");
  static_assert(std::is_same_v<F, Noop> || std::is_default_constructible_v<T> ||
                    std::is_invocable_v<F&, std::optional<T>> || std::is_invocable_v<F&>,
                "a lab::recv callback taking T needs a default-constructible T (Go's zero value, when closed)");
}

}  // namespace detail

// A receive case. The callback takes what Go's forms give:
//   fn(T v, bool ok)        case v, ok := <-ch:   (closed: T{}, false)
//   fn(T v)                 case v := <-ch:       (closed: T{}, Go's zero value)
//   fn(std::optional<T> v)  both in one           (closed: nullopt; a generic
//                                                  lambda, [&](auto v), gets this)
//   fn()                    case <-ch:
template <class T, class F = detail::Noop>
detail::RecvCase<T, F> recv(Chan<T>& ch, F fn = {}) {
  detail::checkRecvCallback<T, F>();
  return detail::RecvCase<T, F>(&ch, std::move(fn));
}
// The same on a channel that may be nil (a null pointer: never ready).
template <class T, class F = detail::Noop>
detail::RecvCase<T, F> recv(Chan<T>* ch, F fn = {}) {
  detail::checkRecvCallback<T, F>();
  return detail::RecvCase<T, F>(ch, std::move(fn));
}

// case ch <- v: fn().
template <class T, class F = detail::Noop>
detail::SendCase<T, F> send(Chan<T>& ch, std::type_identity_t<T> v, F fn = {}) {
  return detail::SendCase<T, F>(&ch, std::move(v), std::move(fn));
}
template <class T, class F = detail::Noop>
detail::SendCase<T, F> send(Chan<T>* ch, std::type_identity_t<T> v, F fn = {}) {
  return detail::SendCase<T, F>(ch, std::move(v), std::move(fn));
}

// case <-time.After(d): fn(), once d has passed since the select began with no case ready.
template <class F = detail::Noop>
detail::TimeoutCase<F> timeout(Duration d, F fn = {}) {
  return detail::TimeoutCase<F>(d, std::move(fn));
}

// default: fn(), at once, when no case is ready.
template <class F = detail::Noop>
detail::DefaultCase<F> otherwise(F fn = {}) {
  return detail::DefaultCase<F>(std::move(fn));
}

// Go's select over the cases above; returns the position of the one that ran.
template <class... Cases>
int select(Cases&&... cases) {
  static_assert((detail::kIsCase<Cases> && ...),
                "lab::select takes lab::recv, lab::send, lab::timeout and lab::otherwise cases");
  static_assert((0 + ... + int(std::remove_cvref_t<Cases>::kSpecial)) <= 1,
                "lab::select takes at most one lab::otherwise or lab::timeout case");
  constexpr std::size_t n = sizeof...(Cases);
  detail::CaseBase* cs[n + 1] = {&cases..., nullptr};
  int order[n + 1];
  Mutex* locks[n + 1];
  return detail::selectImpl(cs, static_cast<int>(n), order, locks);
}

}  // namespace lab
