// labgob — the codec every RPC argument, reply and persisted state goes
// through, as Go's labgob does. Boost.Serialization archives that write
// straight into bytes (labgob/archive.hpp), with no archive header:
//
//   labgob::Bytes b = labgob::encode(value);
//   T v = labgob::decode<T>(b);    // throws labgob::DecodeError naming T
//
// A type is encodable when Boost.Serialization can save it: a member
//   template <class Ar> void serialize(Ar& ar, unsigned) { ar & a & b; }
// next to the fields (include the boost/serialization/*.hpp header of each
// standard container you use). A type that cannot be serialized fails to
// compile. Decoding always builds a fresh object, so no field keeps a stale
// value (Go's "decoding into a non-default variable" warning cannot happen)
// and nothing is shared between sender and receiver.
#pragma once

#include <boost/core/demangle.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <string>
#include <typeinfo>

#include "labgob/archive.hpp"

namespace labgob {

template <class T>
std::string type_name() {
  return boost::core::demangle(typeid(T).name());
}

template <class T>
Bytes encode(const T& value) {
  Bytes out;
  OArchive ar(out);
  ar << value;
  return out;
}

// Throws DecodeError("labgob: cannot decode <T> from <n> bytes: <why>") on
// bytes that do not hold a T, or that hold more than a T.
template <class T>
T decode(const Bytes& bytes) {
  T value{};
  IArchive ar(bytes);
  auto fail = [&](const std::string& why) {
    return DecodeError("labgob: cannot decode " + type_name<T>() + " from " + std::to_string(bytes.size()) +
                       " bytes: " + why);
  };
  try {
    ar >> value;
  } catch (const std::exception& e) {
    throw fail(e.what());
  }
  if (ar.remaining() != 0) throw fail(std::to_string(ar.remaining()) + " bytes left over");
  return value;
}

}  // namespace labgob
