// lab::Chan<T> — a Go channel, written once over lab::Mutex and lab::CondVar
// so that both backends share it.
//
//   lab::Chan<int> ch;          // unbuffered: send() returns only once a receiver took the value
//   lab::Chan<int> q(16);       // buffered: send() blocks only while 16 values wait
//   ch.send(5);
//   std::optional<int> v = ch.recv();          // nullopt: closed and drained
//   auto w = ch.recv_for(std::chrono::milliseconds(50));  // nullopt: timed out, or closed
//   ch.close();
//   q.len(); q.cap();           // Go's len(q), cap(q)
//
// On a closed channel, as in Go: recv() drains what is buffered, then returns
// nullopt at once; send() and a second close() fail the run with a message
// ("send on closed channel <name>"). A sender blocked when the channel is
// closed fails the same way. A sender cancelled while blocked withdraws its
// value, so a cancelled send never delivers.
//
// Waiting on several channels at once is lab::select (lab/select.hpp). A
// select that blocks registers on each of its channels; the operation that
// later makes one of its cases possible (a send, a receive, a close) completes
// that case on the select's behalf, so send and recv below also look for
// registered selects. Without selects that costs one test of an empty vector.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lab/lab.hpp"

namespace lab {

namespace detail {

// What a blocked lab::select waits on. Every channel it is registered on may
// complete one of its cases: the first complete() wins, runs the hand-over
// under mu_ (so the select sees the value once it sees fired_), and wakes
// the select. Lock order: a channel's mutex, then this one.
class SelectWait {
 public:
  static constexpr int kPending = -1;    // nothing happened yet
  static constexpr int kTimedOut = -2;   // the select's timeout case fired
  static constexpr int kCancelled = -3;  // the select's activity was cancelled

  // Completes case idx unless another case (or the timeout, or a
  // cancellation) came first; transfer() moves the value across.
  template <class F>
  bool complete(int idx, F&& transfer) LAB_NO_TSA {
    MutexLock lk(mu_);
    if (fired_ != kPending) return false;
    transfer();
    fired_ = idx;
    cv_.notify_one();
    return true;
  }

  Mutex mu_;
  CondVar cv_;
  int fired_ LAB_GUARDED_BY(mu_) = kPending;
};

// One case of a blocked select, registered on its channel.
template <class T>
struct SelectEntry {
  SelectWait* sel = nullptr;
  int idx = 0;                      // the case's position in the select
  T* value = nullptr;               // a send case: the value to hand over
  std::optional<T>* got = nullptr;  // a recv case: where the value goes (left empty: closed)
  bool closed = false;              // a send case: the channel was closed under it
};

template <class T, class F>
class RecvCase;
template <class T, class F>
class SendCase;

}  // namespace detail

template <class T>
class Chan {
 public:
  explicit Chan(std::size_t capacity = 0, std::string name = "chan")
      : capacity_(capacity),
        name_(std::move(name)),
        sendLabel_("Chan::send on " + name_),
        recvLabel_("Chan::recv on " + name_) {}
  Chan(const Chan&) = delete;
  Chan& operator=(const Chan&) = delete;

  void send(T v) {
    BlockingLabel label(sendLabel_.c_str());
    MutexLock lk(mu_);
    if (closed_) fail("send on closed channel " + name_);
    if (buf_.empty() && !selRecv_.empty() && toSelect(v)) return;
    if (capacity_ > 0) {
      cv_.wait(mu_, [&]() LAB_REQUIRES(mu_) { return closed_ || buf_.size() < capacity_; });
      if (closed_) fail("send on closed channel " + name_);
      if (buf_.empty() && !selRecv_.empty() && toSelect(v)) return;
      buf_.emplace_back(++sent_, std::move(v));
      cv_.notify_all();
      return;
    }
    const std::uint64_t ticket = ++sent_;
    buf_.emplace_back(ticket, std::move(v));
    cv_.notify_all();
    awaitTaken(ticket);
  }

  std::optional<T> recv() {
    BlockingLabel label(recvLabel_.c_str());
    MutexLock lk(mu_);
    if (buf_.empty() && !closed_) {
      if (std::optional<T> v = fromSelect()) return v;
      ++recvWaiting_;
      try {
        cv_.wait(mu_, [&]() LAB_REQUIRES(mu_) { return closed_ || !buf_.empty(); });
      } catch (const Killed&) {
        --recvWaiting_;
        throw;
      }
      --recvWaiting_;
    }
    return take();
  }

  std::optional<T> recv_for(Duration d) {
    BlockingLabel label(recvLabel_.c_str());
    MutexLock lk(mu_);
    if (buf_.empty() && !closed_) {
      if (std::optional<T> v = fromSelect()) return v;
      ++recvWaiting_;
      try {
        cv_.wait_for(mu_, d, [&]() LAB_REQUIRES(mu_) { return closed_ || !buf_.empty(); });
      } catch (const Killed&) {
        --recvWaiting_;
        throw;
      }
      --recvWaiting_;
    }
    return take();
  }

  void close() {
    MutexLock lk(mu_);
    if (closed_) fail("close of closed channel " + name_);
    closed_ = true;
    cv_.notify_all();
    // Blocked selects: a receive completes with nullopt, a send fails in its select.
    for (detail::SelectEntry<T>* e : selRecv_) e->sel->complete(e->idx, [] {});
    for (detail::SelectEntry<T>* e : selSend_) e->sel->complete(e->idx, [e] { e->closed = true; });
    selRecv_.clear();
    selSend_.clear();
  }

  bool closed() const {
    MutexLock lk(mu_);
    return closed_;
  }

  // Go's len(ch): values waiting in the buffer (always 0 when unbuffered).
  std::size_t len() const {
    MutexLock lk(mu_);
    return capacity_ > 0 ? buf_.size() : 0;
  }
  // Go's cap(ch).
  std::size_t cap() const { return capacity_; }
  const std::string& name() const { return name_; }

 private:
  template <class U, class F>
  friend class detail::RecvCase;
  template <class U, class F>
  friend class detail::SendCase;

  std::optional<T> take() LAB_REQUIRES(mu_) {
    if (buf_.empty()) return std::nullopt;
    std::optional<T> v(std::move(buf_.front().second));
    buf_.pop_front();
    // A full buffer just got room: a select blocked sending moves in.
    while (capacity_ > 0 && !selSend_.empty()) {
      detail::SelectEntry<T>* e = selSend_.front();
      selSend_.erase(selSend_.begin());
      if (e->sel->complete(e->idx, [&]() LAB_NO_TSA { buf_.emplace_back(++sent_, std::move(*e->value)); })) break;
    }
    cv_.notify_all();
    return v;
  }
  // An unbuffered sender's value is taken once it left the buffer.
  bool taken(std::uint64_t ticket) const LAB_REQUIRES(mu_) {
    for (const auto& [t, v] : buf_)
      if (t == ticket) return false;
    return true;
  }
  void withdraw(std::uint64_t ticket) LAB_REQUIRES(mu_) {
    for (auto it = buf_.begin(); it != buf_.end(); ++it)
      if (it->first == ticket) {
        buf_.erase(it);
        return;
      }
  }
  // An unbuffered sender waits until a receiver took its value.
  void awaitTaken(std::uint64_t ticket) LAB_REQUIRES(mu_) {
    try {
      cv_.wait(mu_, [&]() LAB_REQUIRES(mu_) { return closed_ || taken(ticket); });
    } catch (const Killed&) {
      withdraw(ticket);
      throw;
    }
    if (!taken(ticket)) {
      withdraw(ticket);
      fail("send on closed channel " + name_ + " (closed while the sender waited)");
    }
  }
  // Hands v to a select blocked receiving here; false if none is (left).
  bool toSelect(T& v) LAB_REQUIRES(mu_) {
    while (!selRecv_.empty()) {
      detail::SelectEntry<T>* e = selRecv_.front();
      selRecv_.erase(selRecv_.begin());
      if (e->sel->complete(e->idx, [&] { e->got->emplace(std::move(v)); })) return true;
    }
    return false;
  }
  // Takes the value of a select blocked sending here (unbuffered: nothing is
  // in the buffer), if there is one.
  std::optional<T> fromSelect() LAB_REQUIRES(mu_) {
    std::optional<T> v;
    while (!selSend_.empty()) {
      detail::SelectEntry<T>* e = selSend_.front();
      selSend_.erase(selSend_.begin());
      if (e->sel->complete(e->idx, [&] { v.emplace(std::move(*e->value)); })) break;
    }
    return v;
  }

  // --- for lab::select, with mu_ held -------------------------------------------

  // A receive case: true if it completed now (got empty: closed).
  bool selectRecv(std::optional<T>& got) LAB_REQUIRES(mu_) {
    if (!buf_.empty()) {
      got = take();
      return true;
    }
    if (!closed_ && (got = fromSelect())) return true;
    return closed_;
  }
  enum class SendPoll { NotReady, Done, Offered };
  // A send case. Offered: the value went to an unbuffered channel's waiting
  // receiver, and the select must still wait (awaitTaken) until it took it.
  SendPoll selectSend(T& v, std::uint64_t& ticket) LAB_REQUIRES(mu_) {
    if (closed_) fail("send on closed channel " + name_);
    if (buf_.empty() && !selRecv_.empty() && toSelect(v)) return SendPoll::Done;
    if (capacity_ > 0) {
      if (buf_.size() >= capacity_) return SendPoll::NotReady;
      buf_.emplace_back(++sent_, std::move(v));
      cv_.notify_all();
      return SendPoll::Done;
    }
    // Receivers blocked in recv() that no earlier offer is promised to.
    if (recvWaiting_ <= buf_.size()) return SendPoll::NotReady;
    ticket = ++sent_;
    buf_.emplace_back(ticket, std::move(v));
    cv_.notify_all();
    return SendPoll::Offered;
  }
  void selectAwaitTaken(std::uint64_t ticket) {
    BlockingLabel label(sendLabel_.c_str());
    MutexLock lk(mu_);
    awaitTaken(ticket);
  }
  void selectEnqueue(detail::SelectEntry<T>* e, bool send) LAB_REQUIRES(mu_) {
    (send ? selSend_ : selRecv_).push_back(e);
  }
  void selectDequeue(detail::SelectEntry<T>* e) LAB_REQUIRES(mu_) {
    std::erase(selRecv_, e);
    std::erase(selSend_, e);
  }

  const std::size_t capacity_;
  const std::string name_;
  const std::string sendLabel_, recvLabel_;
  mutable Mutex mu_;
  CondVar cv_;
  // Buffered: the values. Unbuffered: the values of blocked senders, each
  // with the sender's ticket, until a receiver takes one.
  std::deque<std::pair<std::uint64_t, T>> buf_ LAB_GUARDED_BY(mu_);
  std::uint64_t sent_ LAB_GUARDED_BY(mu_) = 0;
  bool closed_ LAB_GUARDED_BY(mu_) = false;
  std::size_t recvWaiting_ LAB_GUARDED_BY(mu_) = 0;  // receivers blocked in recv()/recv_for()
  // Blocked selects with a case on this channel, oldest first. An entry whose
  // select already completed elsewhere is stale: complete() refuses it, and
  // the select removes its entries itself before it returns.
  std::vector<detail::SelectEntry<T>*> selRecv_ LAB_GUARDED_BY(mu_);
  std::vector<detail::SelectEntry<T>*> selSend_ LAB_GUARDED_BY(mu_);
};

}  // namespace lab
