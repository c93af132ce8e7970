// labgob: round trips, Command's Go-interface equality, and clear errors on
// bytes that do not decode. Plus the persister, which stores labgob bytes.
#include <boost/test/unit_test.hpp>

#include <boost/serialization/map.hpp>

#include <map>
#include <sstream>

#include "lab/chan.hpp"
#include "labgob/command.hpp"
#include "labgob/labgob.hpp"
#include "persister/persister.hpp"
#include "tests/support/run.hpp"

namespace {

struct Entry {
  int Term = 0;
  labgob::Command Command;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & Command;
  }
  friend bool operator==(const Entry&, const Entry&) = default;
};

struct AppendEntriesArgs {
  int Term = 0, LeaderId = 0, PrevLogIndex = 0, PrevLogTerm = 0, LeaderCommit = 0;
  std::vector<Entry> Entries;
  std::map<int, std::string> Extra;
  template <class Ar>
  void serialize(Ar& ar, unsigned) {
    ar & Term & LeaderId & PrevLogIndex & PrevLogTerm & LeaderCommit & Entries & Extra;
  }
  friend bool operator==(const AppendEntriesArgs&, const AppendEntriesArgs&) = default;
};

std::string printed(const labgob::Command& c) {
  std::ostringstream os;
  os << c;
  return os.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(labgob_tests)

BOOST_AUTO_TEST_CASE(encode_decode_roundTripsNestedValues) {
  AppendEntriesArgs a;
  a.Term = 3;
  a.LeaderId = 1;
  a.PrevLogIndex = 7;
  a.PrevLogTerm = 2;
  a.LeaderCommit = 6;
  a.Entries = {{2, labgob::Command(101)}, {3, labgob::Command("x")}, {3, labgob::Command()}};
  a.Extra = {{1, "one"}, {2, ""}};
  auto b = labgob::encode(a);
  BOOST_CHECK(labgob::decode<AppendEntriesArgs>(b) == a);
  // Strings carry their whole payload: the labrpc byte bounds rely on it.
  BOOST_CHECK_GE(labgob::encode(std::string(284, 'x')).size(), 284u);
  BOOST_CHECK_LE(labgob::encode(std::string(284, 'x')).size(), 300u);
}

BOOST_AUTO_TEST_CASE(encode_decode_roundTripsBytesAndWideValues) {
  labgob::Bytes big(100000);
  for (std::size_t i = 0; i < big.size(); i++) big[i] = static_cast<std::uint8_t>(i * 7);
  BOOST_CHECK(labgob::decode<labgob::Bytes>(labgob::encode(big)) == big);
  std::int64_t v = (std::int64_t{1} << 62) + 5;
  BOOST_CHECK_EQUAL(labgob::decode<std::int64_t>(labgob::encode(v)), v);
}

BOOST_AUTO_TEST_CASE(Command_equality_isGoInterfaceEquality) {
  BOOST_CHECK(labgob::Command(5) == labgob::Command(std::int64_t{5}));
  BOOST_CHECK(labgob::Command(5) != labgob::Command("5"));  // int 5 is not string "5"
  BOOST_CHECK(labgob::Command() != labgob::Command(0));     // nil is not 0
  BOOST_CHECK(labgob::Command("a") == labgob::Command(std::string("a")));
  BOOST_CHECK(labgob::Command() == labgob::Command());
}

BOOST_AUTO_TEST_CASE(Command_prints_likeGoPercentV) {
  BOOST_CHECK_EQUAL(printed(labgob::Command(101)), "101");
  BOOST_CHECK_EQUAL(printed(labgob::Command("abc")), "abc");
  BOOST_CHECK_EQUAL(printed(labgob::Command()), "<nil>");
}

BOOST_AUTO_TEST_CASE(Command_roundTripKeepsType) {
  for (const auto& c : {labgob::Command(), labgob::Command(-7), labgob::Command("-7")}) {
    auto d = labgob::decode<labgob::Command>(labgob::encode(c));
    BOOST_CHECK(d == c);
  }
}

BOOST_AUTO_TEST_CASE(decode_truncatedBytes_namesTheType) {
  auto b = labgob::encode(AppendEntriesArgs{});
  b.resize(b.size() / 2);
  try {
    labgob::decode<AppendEntriesArgs>(b);
    BOOST_FAIL("decoding truncated bytes succeeded");
  } catch (const labgob::DecodeError& e) {
    std::string m = e.what();
    BOOST_CHECK_MESSAGE(m.find("labgob: cannot decode") != std::string::npos, m);
    BOOST_CHECK_MESSAGE(m.find("AppendEntriesArgs") != std::string::npos, m);
  }
}

BOOST_AUTO_TEST_CASE(decode_leftoverBytes_isAnError) {
  auto b = labgob::encode(std::string("abc"));
  b.push_back(0);
  BOOST_CHECK_THROW(labgob::decode<std::string>(b), labgob::DecodeError);
}

BOOST_AUTO_TEST_CASE(decode_hugeLength_isAnErrorNotAnAllocation) {
  labgob::Bytes b = labgob::encode(std::uint64_t{1} << 60);  // read back as a string length
  BOOST_CHECK_THROW(labgob::decode<std::string>(b), labgob::DecodeError);
}

BOOST_AUTO_TEST_CASE(decode_badCommandKind_isAnError) {
  labgob::Bytes b{9};
  BOOST_CHECK_THROW(labgob::decode<labgob::Command>(b), labgob::DecodeError);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(persister_tests)

BOOST_AUTO_TEST_CASE(Persister_saveAndRead_returnCopies) {
  auto r = labtest::run([] {
    auto ps = persister::MakePersister();
    LAB_CHECK(ps->ReadRaftState().empty() && ps->ReadSnapshot().empty(), "a new persister is not empty");
    ps->Save({1, 2, 3}, {4, 5});
    auto s = ps->ReadRaftState();
    s[0] = 99;  // changing a read copy changes nothing stored
    LAB_CHECK((ps->ReadRaftState() == labgob::Bytes{1, 2, 3}), "raft state changed through a copy");
    LAB_CHECK((ps->ReadSnapshot() == labgob::Bytes{4, 5}), "wrong snapshot");
    LAB_CHECK(ps->RaftStateSize() == 3 && ps->SnapshotSize() == 2, "wrong sizes");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Persister_saveWithEmptySnapshot_erasesIt) {
  auto r = labtest::run([] {
    auto ps = persister::MakePersister();
    ps->Save({1}, {2});
    ps->Save({3}, {});
    LAB_CHECK(ps->SnapshotSize() == 0, "an empty snapshot did not erase the stored one");
    LAB_CHECK((ps->ReadRaftState() == labgob::Bytes{3}), "wrong raft state");
  });
  LAB_REQUIRE_PASSED(r);
}

// The crash model: a restarted server gets a Copy(); what the old instance
// writes afterwards lands in the old object only.
BOOST_AUTO_TEST_CASE(Persister_copy_isIndependentOfLaterSaves) {
  auto r = labtest::run([] {
    auto old = persister::MakePersister();
    old->Save({1}, {2});
    auto fresh = old->Copy();
    old->Save({7}, {8});
    LAB_CHECK((fresh->ReadRaftState() == labgob::Bytes{1}), "copy saw a later save");
    LAB_CHECK((fresh->ReadSnapshot() == labgob::Bytes{2}), "copy saw a later snapshot");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_CASE(Persister_concurrentSavesAndReads_areAtomic) {
  auto r = labtest::run([] {
    auto ps = persister::MakePersister();
    lab::Chan<int> done(4);
    for (int w = 0; w < 4; w++) {
      lab::go("writer", [ps, &done, w] {
        for (int i = 0; i < 200; i++) {
          auto v = static_cast<std::uint8_t>(w * 50 + i % 50);
          ps->Save(labgob::Bytes(10, v), labgob::Bytes(20, v));
          auto s = ps->ReadRaftState();
          LAB_CHECK(s.size() == 10, "torn raft state");
          if (i % 20 == 0) lab::yield();
        }
        done.send(w);
      });
    }
    for (int w = 0; w < 4; w++) done.recv();
    auto s = ps->ReadRaftState(), t = ps->ReadSnapshot();
    LAB_CHECK(s.size() == 10 && t.size() == 20 && s[0] == t[0], "state and snapshot from different saves");
  });
  LAB_REQUIRE_PASSED(r);
}

BOOST_AUTO_TEST_SUITE_END()
