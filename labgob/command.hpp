// labgob::Command — the opaque value a service hands to Raft's Start() and
// gets back on the apply channel. Like a Go interface{} holding nil, an int or
// a string, with Go's interface equality: same type and same value, so the
// int 5 is not the string "5".
#pragma once

#include <boost/serialization/level.hpp>
#include <boost/serialization/split_member.hpp>
#include <boost/serialization/tracking.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <variant>

#include "labgob/labgob.hpp"

namespace labgob {

class Command {
 public:
  Command() = default;  // nil
  Command(int v) : v_(std::int64_t{v}) {}
  Command(std::int64_t v) : v_(v) {}
  Command(std::string v) : v_(std::move(v)) {}
  Command(const char* v) : v_(std::string(v)) {}

  bool is_nil() const { return std::holds_alternative<std::monostate>(v_); }
  bool is_int() const { return std::holds_alternative<std::int64_t>(v_); }
  bool is_string() const { return std::holds_alternative<std::string>(v_); }
  std::int64_t as_int() const { return std::get<std::int64_t>(v_); }
  const std::string& as_string() const { return std::get<std::string>(v_); }

  friend bool operator==(const Command&, const Command&) = default;

  // As Go's %v prints an interface value: 101, abc, <nil>.
  friend std::ostream& operator<<(std::ostream& os, const Command& c) {
    if (c.is_int()) return os << c.as_int();
    if (c.is_string()) return os << c.as_string();
    return os << "<nil>";
  }

  template <class Ar>
  void save(Ar& ar, unsigned) const {
    std::uint8_t kind = static_cast<std::uint8_t>(v_.index());
    ar << kind;
    if (is_int()) ar << as_int();
    if (is_string()) ar << as_string();
  }
  template <class Ar>
  void load(Ar& ar, unsigned) {
    std::uint8_t kind = 0;
    ar >> kind;
    if (kind == 1) {
      std::int64_t v = 0;
      ar >> v;
      v_ = v;
    } else if (kind == 2) {
      std::string s;
      ar >> s;
      v_ = std::move(s);
    } else if (kind == 0) {
      v_ = std::monostate{};
    } else {
      throw DecodeError("labgob: bad Command kind " + std::to_string(kind));
    }
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()

 private:
  std::variant<std::monostate, std::int64_t, std::string> v_;
};

}  // namespace labgob

// A Command is a plain value: no per-archive class header, no object tracking.
BOOST_CLASS_IMPLEMENTATION(labgob::Command, boost::serialization::object_serializable)
BOOST_CLASS_TRACKING(labgob::Command, boost::serialization::track_never)
