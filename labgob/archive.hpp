// The byte archives labgob encodes with: Boost.Serialization archives that
// write straight into a byte vector. Boost's own binary archives set up a
// std::locale for every archive they construct, which costs more than the
// encoding of a whole RPC; these need none. Values are written in native
// byte order and width (sender and receiver are the same process), strings
// and arrays as a 64-bit length and their bytes.
#pragma once

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/basic_archive.hpp>
#include <boost/archive/detail/common_iarchive.hpp>
#include <boost/archive/detail/common_oarchive.hpp>
#include <boost/archive/detail/register_archive.hpp>
#include <boost/mpl/bool.hpp>
#include <boost/serialization/array_optimization.hpp>
#include <boost/serialization/array_wrapper.hpp>
#include <boost/serialization/item_version_type.hpp>

#include <cstdint>
#include <concepts>
#include <cstring>
#include <utility>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace labgob {

using Bytes = std::vector<std::uint8_t>;

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
// Boost's archive bookkeeping types (version_type, class_id_type, ...) are
// classes that wrap one integer and convert to it; they travel as that integer.
template <class T>
constexpr bool is_strong_typedef = !std::is_trivially_copyable_v<T> && requires(const T& t) {
  { +t } -> std::integral;
};
template <class T>
using wrapped_t = decltype(+std::declval<const T&>());

// Arrays of arithmetic values are copied as one block of bytes.
struct ArrayOptimization {
  template <class T>
  struct apply : boost::mpl::bool_<std::is_arithmetic_v<T>> {};
};
}  // namespace detail

class OArchive : public boost::archive::detail::common_oarchive<OArchive> {
 public:
  explicit OArchive(Bytes& out)
      : boost::archive::detail::common_oarchive<OArchive>(boost::archive::no_header), out_(out) {}

  using use_array_optimization = detail::ArrayOptimization;

  void save_binary(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  template <class T>
  void save_array(const boost::serialization::array_wrapper<T>& a, unsigned) {
    save_binary(a.address(), a.count() * sizeof(T));
  }

 private:
  friend class boost::archive::detail::interface_oarchive<OArchive>;
  friend class boost::archive::save_access;

  template <class T>
  void save(const T& t) {
    if constexpr (detail::is_strong_typedef<T>) {
      save(static_cast<detail::wrapped_t<T>>(t));
    } else {
      static_assert(std::is_trivially_copyable_v<T>, "labgob: primitive type is not trivially copyable");
      save_binary(&t, sizeof t);
    }
  }
  void save(const std::string& s) {
    save(static_cast<std::uint64_t>(s.size()));
    save_binary(s.data(), s.size());
  }
  void save(const std::wstring& s) {
    save(static_cast<std::uint64_t>(s.size()));
    save_binary(s.data(), s.size() * sizeof(wchar_t));
  }
  void save(const boost::archive::class_name_type& t) { save(std::string(t.t)); }
  void save(const boost::archive::class_id_optional_type&) {}  // not written, as in Boost's binary archives

  Bytes& out_;
};

class IArchive : public boost::archive::detail::common_iarchive<IArchive> {
 public:
  explicit IArchive(const Bytes& in)
      : boost::archive::detail::common_iarchive<IArchive>(boost::archive::no_header), in_(in) {}

  using use_array_optimization = detail::ArrayOptimization;

  void load_binary(void* p, std::size_t n) {
    if (n > in_.size() - pos_)
      throw DecodeError("needs " + std::to_string(n) + " more bytes at offset " + std::to_string(pos_) +
                        ", has " + std::to_string(in_.size() - pos_));
    if (n) std::memcpy(p, in_.data() + pos_, n);
    pos_ += n;
  }
  template <class T>
  void load_array(boost::serialization::array_wrapper<T>& a, unsigned) {
    load_binary(a.address(), a.count() * sizeof(T));
  }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  friend class boost::archive::detail::interface_iarchive<IArchive>;
  friend class boost::archive::load_access;

  template <class T>
  void load(T& t) {
    if constexpr (detail::is_strong_typedef<T>) {
      detail::wrapped_t<T> v{};
      load(v);
      t = T(v);
    } else {
      static_assert(std::is_trivially_copyable_v<T>, "labgob: primitive type is not trivially copyable");
      load_binary(&t, sizeof t);
    }
  }
  std::uint64_t load_length(std::size_t elem) {
    std::uint64_t n = 0;
    load(n);
    if (n > remaining() / elem) throw DecodeError("a length of " + std::to_string(n) + " runs past the end");
    return n;
  }
  void load(std::string& s) {
    s.resize(load_length(1));
    load_binary(s.data(), s.size());
  }
  void load(std::wstring& s) {
    s.resize(load_length(sizeof(wchar_t)));
    load_binary(s.data(), s.size() * sizeof(wchar_t));
  }
  void load(boost::archive::class_id_optional_type&) {}
  void load(boost::archive::class_name_type& t) {
    std::string s;
    load(s);
    if (s.size() > BOOST_SERIALIZATION_MAX_KEY_SIZE - 1) throw DecodeError("class name too long");
    std::memcpy(t.t, s.c_str(), s.size() + 1);
  }

  const Bytes& in_;
  std::size_t pos_ = 0;
};

}  // namespace labgob

BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(labgob::OArchive)
BOOST_SERIALIZATION_USE_ARRAY_OPTIMIZATION(labgob::IArchive)
BOOST_SERIALIZATION_REGISTER_ARCHIVE(labgob::OArchive)
BOOST_SERIALIZATION_REGISTER_ARCHIVE(labgob::IArchive)
