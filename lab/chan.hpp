// lab::Chan<T> — a Go channel, written once over lab::Mutex and lab::CondVar
// so that both backends share it.
//
//   lab::Chan<int> ch;          // unbuffered: send() returns only once a receiver took the value
//   lab::Chan<int> q(16);       // buffered: send() blocks only while 16 values wait
//   ch.send(5);
//   std::optional<int> v = ch.recv();          // nullopt: closed and drained
//   auto w = ch.recv_for(std::chrono::milliseconds(50));  // nullopt: timed out, or closed
//   ch.close();
//
// On a closed channel, as in Go: recv() drains what is buffered, then returns
// nullopt at once; send() and a second close() fail the run with a message
// ("send on closed channel <name>"). A sender blocked when the channel is
// closed fails the same way. A sender cancelled while blocked withdraws its
// value, so a cancelled send never delivers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "lab/lab.hpp"

namespace lab {

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
    if (capacity_ > 0) {
      cv_.wait(mu_, [&]() LAB_REQUIRES(mu_) { return closed_ || buf_.size() < capacity_; });
      if (closed_) fail("send on closed channel " + name_);
      buf_.emplace_back(++sent_, std::move(v));
      cv_.notify_all();
      return;
    }
    const std::uint64_t ticket = ++sent_;
    buf_.emplace_back(ticket, std::move(v));
    cv_.notify_all();
    try {
      cv_.wait(mu_, [&]() LAB_REQUIRES(mu_) { return closed_ || taken(ticket); });
    } catch (const Killed&) {
      withdraw(ticket);
      throw;
    }
    if (!taken(ticket)) fail("send on closed channel " + name_ + " (closed while the sender waited)");
  }

  std::optional<T> recv() {
    BlockingLabel label(recvLabel_.c_str());
    MutexLock lk(mu_);
    cv_.wait(mu_, [&]() LAB_REQUIRES(mu_) { return closed_ || !buf_.empty(); });
    return take();
  }

  std::optional<T> recv_for(Duration d) {
    BlockingLabel label(recvLabel_.c_str());
    MutexLock lk(mu_);
    cv_.wait_for(mu_, d, [&]() LAB_REQUIRES(mu_) { return closed_ || !buf_.empty(); });
    return take();
  }

  void close() {
    MutexLock lk(mu_);
    if (closed_) fail("close of closed channel " + name_);
    closed_ = true;
    cv_.notify_all();
  }

  bool closed() const {
    MutexLock lk(mu_);
    return closed_;
  }

 private:
  std::optional<T> take() LAB_REQUIRES(mu_) {
    if (buf_.empty()) return std::nullopt;
    std::optional<T> v(std::move(buf_.front().second));
    buf_.pop_front();
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

  const std::size_t capacity_;
  const std::string name_;
  const std::string sendLabel_, recvLabel_;
  mutable Mutex mu_;
  CondVar cv_;
  std::deque<std::pair<std::uint64_t, T>> buf_ LAB_GUARDED_BY(mu_);
  std::uint64_t sent_ LAB_GUARDED_BY(mu_) = 0;
  bool closed_ LAB_GUARDED_BY(mu_) = false;
};

}  // namespace lab
