// labgob — the codec every RPC argument, reply and persisted state goes
// through, as Go's labgob does. Boost.Serialization binary archives, without
// the archive header:
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

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/core/demangle.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <cstdint>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <typeinfo>
#include <vector>

namespace labgob {

using Bytes = std::vector<std::uint8_t>;

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
std::string type_name() {
  return boost::core::demangle(typeid(T).name());
}

namespace detail {

inline constexpr unsigned kFlags = boost::archive::no_header | boost::archive::no_codecvt;

// Stream buffers straight over a byte vector: no copy through a stringstream.
class OutBuf : public std::streambuf {
 public:
  explicit OutBuf(Bytes& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.insert(out_.end(), s, s + n);
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) out_.push_back(static_cast<std::uint8_t>(c));
    return traits_type::not_eof(c);
  }

 private:
  Bytes& out_;
};

class InBuf : public std::streambuf {
 public:
  explicit InBuf(const Bytes& in) {
    char* p = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
    setg(p, p, p + in.size());
  }
};

}  // namespace detail

template <class T>
Bytes encode(const T& value) {
  Bytes out;
  detail::OutBuf buf(out);
  {
    boost::archive::binary_oarchive ar(buf, detail::kFlags);
    ar << value;
  }
  return out;
}

// Throws DecodeError("labgob: cannot decode <T> from <n> bytes: <why>") on
// bytes that do not hold a T, or that hold more than a T.
template <class T>
T decode(const Bytes& bytes) {
  T value{};
  detail::InBuf buf(bytes);
  auto fail = [&](const std::string& why) {
    return DecodeError("labgob: cannot decode " + type_name<T>() + " from " + std::to_string(bytes.size()) +
                       " bytes: " + why);
  };
  try {
    boost::archive::binary_iarchive ar(buf, detail::kFlags);
    ar >> value;
  } catch (const std::exception& e) {
    throw fail(e.what());
  }
  if (buf.in_avail() != 0) throw fail(std::to_string(buf.in_avail()) + " bytes left over");
  return value;
}

}  // namespace labgob
