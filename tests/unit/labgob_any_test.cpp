// labgob/any.hpp: values of registered types travel as interface values,
// come back as the same type, print Go's %T, and fail clearly otherwise.
#include <boost/test/unit_test.hpp>

#include <any>
#include <string>

#include "labgob/any.hpp"

namespace {

struct PutArgs {
  std::string Key, Value;
  int Version = 0;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Key & Value & Version;
  }
};
struct Empty {
  template <class Ar>
  void serialize(Ar&, unsigned) {}
};
struct NotRegistered {
  template <class Ar>
  void serialize(Ar&, unsigned) {}
};

LABGOB_REGISTER(PutArgs, "anytest.PutArgs");
LABGOB_REGISTER(Empty, "anytest.Empty");

}  // namespace

BOOST_AUTO_TEST_SUITE(labgob_any_tests)

BOOST_AUTO_TEST_CASE(encodeAny_decodeAny_keepsTypeAndValue) {
  std::any back = labgob::decodeAny(labgob::encodeAny(PutArgs{"k", "v", 3}));
  const PutArgs* p = std::any_cast<PutArgs>(&back);
  BOOST_REQUIRE(p != nullptr);
  BOOST_TEST(p->Key == "k");
  BOOST_TEST(p->Value == "v");
  BOOST_TEST(p->Version == 3);
  std::any empty = labgob::decodeAny(labgob::encodeAny(Empty{}));
  BOOST_TEST(std::any_cast<Empty>(&empty) != nullptr);
}

BOOST_AUTO_TEST_CASE(encodeAny_nil_staysNil) {
  BOOST_TEST(!labgob::decodeAny(labgob::encodeAny(std::any{})).has_value());
}

BOOST_AUTO_TEST_CASE(typeName_isTheRegisteredName) {
  BOOST_TEST(labgob::typeName(std::any(PutArgs{})) == "anytest.PutArgs");
  BOOST_TEST(labgob::typeName(std::any{}) == "<nil>");
}

BOOST_AUTO_TEST_CASE(encodeAny_unregisteredType_namesIt) {
  try {
    labgob::encodeAny(NotRegistered{});
    BOOST_FAIL("an unregistered type was encoded");
  } catch (const labgob::EncodeError& e) {
    BOOST_TEST(std::string(e.what()).find("NotRegistered") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(decodeAny_unknownName_namesIt) {
  labgob::detail::AnyWire w{"anytest.Nobody", {}};
  try {
    labgob::decodeAny(labgob::encode(w));
    BOOST_FAIL("an unknown name was decoded");
  } catch (const labgob::DecodeError& e) {
    BOOST_TEST(std::string(e.what()).find("\"anytest.Nobody\"") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
