// labgob/any.hpp — values of any registered type, as Go's interface{} in an
// RPC argument or a log entry (Go's labgob.Register). A service registers
// each type it sends this way once, under a Go-like name, at static
// initialisation (as Go does in init()):
//
//   struct Inc { template <class Ar> void serialize(Ar&, unsigned) {} };
//   LABGOB_REGISTER(Inc, "rsm.Inc");
//
//   std::any req = Inc{};
//   labgob::Bytes b = labgob::encodeAny(req);   // the name, then the value
//   std::any back = labgob::decodeAny(b);       // holds an Inc again
//   labgob::typeName(back);                     // "rsm.Inc" (Go's %T)
//
// Encoding a value of a type nobody registered throws EncodeError; decoding
// a name nobody registered throws DecodeError. The tables are filled before
// main() and only read afterwards, so they need no lock.
#pragma once

#include <any>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <typeindex>

#include "labgob/labgob.hpp"

namespace labgob {

struct EncodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {

struct AnyType {
  std::string name;
  std::function<Bytes(const std::any&)> encode;
  std::function<std::any(const Bytes&)> decode;
};

// Filled by Register before main(); read-only afterwards.
inline std::map<std::type_index, AnyType>& anyByType() {
  static std::map<std::type_index, AnyType> m;
  return m;
}
inline std::map<std::string, const AnyType*>& anyByName() {
  static std::map<std::string, const AnyType*> m;
  return m;
}

// What travels: the registered name, then the value's own bytes.
struct AnyWire {
  std::string name;
  Bytes value;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & name & value;
  }
};

}  // namespace detail

template <class T>
bool Register(const std::string& name) {
  auto [it, added] = detail::anyByType().emplace(
      std::type_index(typeid(T)),
      detail::AnyType{name, [](const std::any& v) { return encode(std::any_cast<const T&>(v)); },
                      [](const Bytes& b) { return std::any(decode<T>(b)); }});
  detail::anyByName()[name] = &it->second;
  return added;
}

// Go's %T of an interface value: the registered name, "<nil>" for an empty
// value, the C++ name for a type nobody registered.
inline std::string typeName(const std::any& v) {
  if (!v.has_value()) return "<nil>";
  auto it = detail::anyByType().find(std::type_index(v.type()));
  return it != detail::anyByType().end() ? it->second.name : boost::core::demangle(v.type().name());
}

inline Bytes encodeAny(const std::any& v) {
  detail::AnyWire w;
  if (v.has_value()) {
    auto it = detail::anyByType().find(std::type_index(v.type()));
    if (it == detail::anyByType().end())
      throw EncodeError("labgob: type not registered for interface: " + typeName(v));
    w.name = it->second.name;
    w.value = it->second.encode(v);
  }
  return encode(w);
}

inline std::any decodeAny(const Bytes& b) {
  auto w = decode<detail::AnyWire>(b);
  if (w.name.empty()) return {};
  auto it = detail::anyByName().find(w.name);
  if (it == detail::anyByName().end()) throw DecodeError("labgob: name not registered for interface: \"" + w.name + "\"");
  return it->second->decode(w.value);
}

}  // namespace labgob

#define LABGOB_REGISTER_CAT2(a, b) a##b
#define LABGOB_REGISTER_CAT(a, b) LABGOB_REGISTER_CAT2(a, b)
// Registers type T under name, once, before main().
#define LABGOB_REGISTER(T, name) \
  static const bool LABGOB_REGISTER_CAT(labgob_registered_, __LINE__) = ::labgob::Register<T>(name)
