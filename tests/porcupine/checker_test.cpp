// Small hand-made histories: legal and illegal, closed intervals, events,
// a nondeterministic model, budgets that answer Unknown, the partial
// linearizations of a known case, and the key/value lab's versioned model.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "porcupine/porcupine.hpp"

namespace {

using porcupine::CheckResult;
using porcupine::Event;
using porcupine::EventKind;
using porcupine::History;
using porcupine::Model;

std::string str(CheckResult r) { return toString(r); }

// A register of ints, 0 at first: put always succeeds, get must read the value.
struct RegIn {
  bool put = false;
  int value = 0;
};
using RegHistory = History<RegIn, int>;

Model<RegIn, int, int> intRegister() {
  Model<RegIn, int, int> m;
  m.init = [] { return 0; };
  m.step = [](const int& s, const RegIn& in, const int& out) -> std::optional<int> {
    if (in.put) return in.value;
    if (out != s) return std::nullopt;
    return s;
  };
  m.describeOperation = [](const RegIn& in, const int& out) {
    return in.put ? "put(" + std::to_string(in.value) + ")" : "get() -> " + std::to_string(out);
  };
  return m;
}

porcupine::Operation<RegIn, int> put(int client, int v, porcupine::Time call, porcupine::Time ret) {
  return {client, {true, v}, call, 0, ret};
}
porcupine::Operation<RegIn, int> get(int client, int v, porcupine::Time call, porcupine::Time ret) {
  return {client, {false, 0}, call, v, ret};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checker_tests)

BOOST_AUTO_TEST_CASE(checkOperations_register_legalAndIllegal) {
  const RegHistory legal = {put(0, 100, 0, 100), get(1, 100, 25, 75), get(2, 0, 30, 60)};
  BOOST_TEST(str(porcupine::checkOperations(intRegister(), legal)) == "Ok");
  const RegHistory illegal = {put(0, 200, 0, 100), get(1, 200, 10, 30), get(2, 0, 40, 90)};
  BOOST_TEST(str(porcupine::checkOperations(intRegister(), illegal)) == "Illegal");
  BOOST_TEST(str(porcupine::checkOperations(intRegister(), illegal, {.threads = 1})) == "Illegal");
}

BOOST_AUTO_TEST_CASE(checkOperations_zeroDuration_closedIntervals) {
  const RegHistory legal = {put(0, 100, 0, 100), get(1, 100, 25, 75), get(2, 0, 30, 30), get(3, 0, 30, 30)};
  BOOST_TEST(str(porcupine::checkOperations(intRegister(), legal)) == "Ok");
  const RegHistory illegal = {put(0, 200, 0, 100), get(1, 200, 10, 10), get(2, 200, 10, 10), get(3, 0, 40, 90)};
  BOOST_TEST(str(porcupine::checkOperations(intRegister(), illegal)) == "Illegal");
}

BOOST_AUTO_TEST_CASE(checkOperations_equalCallAndReturnTimes_callsSortFirst) {
  // The put returns at 5 and the get is called at 5: they overlap, so the
  // get may take effect first and read the old 0. Sorting the put's return
  // before the get's call would wrongly forbid that.
  const RegHistory h = {put(0, 1, 0, 5), get(1, 0, 5, 8)};
  BOOST_TEST(str(porcupine::checkOperations(intRegister(), h)) == "Ok");
  // Given in the other order, the same.
  const RegHistory reversed = {get(1, 0, 5, 8), put(0, 1, 0, 5)};
  BOOST_TEST(str(porcupine::checkOperations(intRegister(), reversed)) == "Ok");
  // One tick apart they no longer overlap: the get must see the put.
  const RegHistory apart = {put(0, 1, 0, 5), get(1, 0, 6, 8)};
  BOOST_TEST(str(porcupine::checkOperations(intRegister(), apart)) == "Illegal");
}

BOOST_AUTO_TEST_CASE(checkEvents_register_sameAnswersAsOperations) {
  using Ev = Event<RegIn, int>;
  const std::vector<Ev> legal = {
      {0, EventKind::Call, 0, {true, 100}, 0}, {1, EventKind::Call, 1, {false, 0}, 0},
      {2, EventKind::Call, 2, {false, 0}, 0},  {2, EventKind::Return, 2, {}, 0},
      {1, EventKind::Return, 1, {}, 100},      {0, EventKind::Return, 0, {}, 0},
  };
  BOOST_TEST(str(porcupine::checkEvents(intRegister(), legal)) == "Ok");
  const std::vector<Ev> illegal = {
      {0, EventKind::Call, 0, {true, 200}, 0}, {1, EventKind::Call, 1, {false, 0}, 0},
      {1, EventKind::Return, 1, {}, 200},      {2, EventKind::Call, 2, {false, 0}, 0},
      {2, EventKind::Return, 2, {}, 0},        {0, EventKind::Return, 0, {}, 0},
  };
  BOOST_TEST(str(porcupine::checkEvents(intRegister(), illegal)) == "Illegal");
  // Ids need not be dense nor in order.
  std::vector<Ev> renamed = illegal;
  for (auto& e : renamed) e.id = 1000 - 7 * e.id;
  BOOST_TEST(str(porcupine::checkEvents(intRegister(), renamed)) == "Illegal");
}

BOOST_AUTO_TEST_CASE(checkOperations_emptyHistory_isOk) {
  auto [result, info] = porcupine::checkOperationsVerbose(intRegister(), RegHistory{});
  BOOST_TEST(str(result) == "Ok");
  auto m = intRegister();
  m.partition = [](const RegHistory&) { return std::vector<RegHistory>{}; };
  BOOST_TEST(str(porcupine::checkOperations(m, RegHistory{}, {.timeout = std::chrono::seconds(1)})) == "Ok");
}

BOOST_AUTO_TEST_CASE(checkOperations_setModel_readsOfASet) {
  // Add 100, add 110 and a read run concurrently.
  struct SetIn {
    bool add = false;
    int value = 0;
  };
  struct SetOut {
    std::vector<int> read;
    bool unknown = false;
  };
  Model<SetIn, SetOut, std::vector<int>> m;  // the state: sorted members
  m.init = [] { return std::vector<int>{}; };
  m.step = [](const std::vector<int>& s, const SetIn& in, const SetOut& out) -> std::optional<std::vector<int>> {
    if (in.add) {
      auto next = s;
      if (std::find(next.begin(), next.end(), in.value) == next.end()) next.push_back(in.value);
      std::sort(next.begin(), next.end());
      return next;
    }
    auto read = out.read;
    std::sort(read.begin(), read.end());
    if (out.unknown || read == s) return s;
    return std::nullopt;
  };
  auto history = [](SetOut read) {
    return History<SetIn, SetOut>{{0, {true, 100}, 0, {}, 10}, {1, {true, 110}, 2, {}, 12}, {2, {}, 1, read, 11}};
  };
  BOOST_TEST(str(porcupine::checkOperations(m, history({{100}}))) == "Ok");
  BOOST_TEST(str(porcupine::checkOperations(m, history({{100, 110}}))) == "Ok");
  BOOST_TEST(str(porcupine::checkOperations(m, history({{}, true}))) == "Ok");
  BOOST_TEST(str(porcupine::checkOperations(m, history({{100, 100, 110}}))) == "Illegal");
}

BOOST_AUTO_TEST_CASE(toModel_nondeterministicRegister_powerSet) {
  // put-any(values) sets the register to one of them; get-any reads one of
  // the values (it checks the register is among them); get-all reads exactly
  // the set of possible values, i.e. the register is one of them.
  struct In {
    int kind = 0;  // 0 put-any, 1 get-any, 2 get-all
    std::vector<int> values;
  };
  porcupine::NondeterministicModel<In, std::vector<int>, int> nd;
  nd.init = [] { return std::vector<int>{0}; };
  nd.step = [](const int& s, const In& in, const std::vector<int>& out) -> std::vector<int> {
    if (in.kind == 0) return in.values;
    const bool among = std::find(out.begin(), out.end(), s) != out.end();
    return among ? std::vector<int>{s} : std::vector<int>{};
  };
  nd.equal = [](const int& a, const int& b) { return a == b; };
  nd.describeState = [](const int& s) { return std::to_string(s); };
  const auto m = nd.toModel();
  // The power-set state merges duplicates, keeping the first of each.
  auto start = m.init();
  BOOST_TEST(start.size() == 1u);
  auto after = m.step(start, {0, {1, 2, 2, 3}}, {});
  BOOST_TEST_REQUIRE(after.has_value());
  BOOST_TEST((*after == std::vector<int>{1, 2, 3}));
  BOOST_TEST(m.describeState(*after) == "{1, 2, 3}");
  BOOST_TEST(m.equal(std::vector<int>{1, 2, 3}, std::vector<int>{3, 1, 2}));
  BOOST_TEST(!m.equal(std::vector<int>{1, 2}, std::vector<int>{1, 3}));
  BOOST_TEST(!m.step({1, 2}, {1, {}}, {4}).has_value());

  using Op = porcupine::Operation<In, std::vector<int>>;
  // Concurrent reads of {2} and of {1, 4} after put-any{1..4}: the register
  // cannot be both 2 and one of 1, 4.
  const History<In, std::vector<int>> illegal = {Op{0, {0, {1, 2, 3, 4}}, 0, {}, 10}, Op{1, {1, {}}, 20, {2}, 30},
                                                 Op{2, {1, {}}, 20, {1, 4}, 30}};
  BOOST_TEST(str(porcupine::checkOperations(m, illegal)) == "Illegal");
  const History<In, std::vector<int>> legal = {Op{0, {0, {1, 2, 3, 4}}, 0, {}, 10}, Op{1, {1, {}}, 20, {2, 3}, 30},
                                               Op{2, {2, {}}, 20, {2, 5}, 30}};
  BOOST_TEST(str(porcupine::checkOperations(m, legal)) == "Ok");
}

namespace {

// A counter whose n increments all overlap, and a read of an impossible value
// overlapping them all: the search visits every subset of the increments
// before it can say Illegal, far beyond any budget below.
struct CounterIn {
  bool read = false;
};
History<CounterIn, int> hopeless(int n) {
  History<CounterIn, int> h;
  for (int i = 0; i < n; ++i) h.push_back({i, {false}, i, 0, 1000 + i});
  h.push_back({n, {true}, 0, -1, 2000});
  return h;
}
Model<CounterIn, int, int> counter() {
  Model<CounterIn, int, int> m;
  m.init = [] { return 0; };
  m.step = [](const int& s, const CounterIn& in, const int& out) -> std::optional<int> {
    if (!in.read) return s + 1;
    if (out != s) return std::nullopt;
    return s;
  };
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(checkOperations_timeout_answersUnknown) {
  const auto h = hopeless(60);
  for (int threads : {0, 1}) {
    const auto start = std::chrono::steady_clock::now();
    const auto r =
        porcupine::checkOperations(counter(), h, {.timeout = std::chrono::milliseconds(100), .threads = threads});
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST(str(r) == "Unknown");
    BOOST_TEST((took < std::chrono::seconds(5)));
  }
  auto [verbose, info] = porcupine::checkOperationsVerbose(counter(), h, {.timeout = std::chrono::milliseconds(50)});
  BOOST_TEST(str(verbose) == "Unknown");
  BOOST_TEST_REQUIRE(info.partitions.size() == 1u);
  BOOST_TEST(!info.partitions[0].partials.empty());
}

BOOST_AUTO_TEST_CASE(checkOperations_stepBudget_isDeterministic) {
  const auto h = hopeless(40);
  BOOST_TEST(str(porcupine::checkOperations(counter(), h, {.maxSteps = 10000})) == "Unknown");
  BOOST_TEST(str(porcupine::checkOperations(counter(), h, {.maxSteps = 10000, .threads = 1})) == "Unknown");
  // A small illegal history fits in the same budget.
  BOOST_TEST(str(porcupine::checkOperations(counter(), hopeless(3), {.maxSteps = 10000})) == "Illegal");
}

BOOST_AUTO_TEST_CASE(checkOperations_illegalPartitionWinsOverTimeout) {
  // Two partitions: one hopeless, one quickly illegal. Without verbose the
  // illegal one cancels the other; with it, the other runs to the budget.
  struct In {
    int key = 0;
    bool read = false;
  };
  Model<In, int, int> m;
  m.partition = [](const History<In, int>& h) {
    return porcupine::partitionByKey(h, [](const In& in) { return in.key; });
  };
  m.init = [] { return 0; };
  m.step = [](const int& s, const In& in, const int& out) -> std::optional<int> {
    if (!in.read) return s + 1;
    if (out != s) return std::nullopt;
    return s;
  };
  History<In, int> h;
  for (int i = 0; i < 50; ++i) h.push_back({i, {0, false}, i, 0, 1000 + i});
  h.push_back({50, {0, true}, 0, -1, 2000});
  h.push_back({51, {1, true}, 0, 7, 1});  // key 1 was never incremented
  const auto start = std::chrono::steady_clock::now();
  BOOST_TEST(str(porcupine::checkOperations(m, h, {.timeout = std::chrono::seconds(20), .threads = 2})) == "Illegal");
  BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(10)));
  // One thread: each partition has the whole budget, so the hopeless first
  // key cannot use up the time of the illegal second one.
  BOOST_TEST(str(porcupine::checkOperations(m, h, {.timeout = std::chrono::milliseconds(100), .threads = 1})) ==
             "Illegal");
  auto [r, info] = porcupine::checkOperationsVerbose(m, h, {.timeout = std::chrono::milliseconds(100)});
  BOOST_TEST(str(r) == "Illegal");
  BOOST_TEST_REQUIRE(info.partitions.size() == 2u);
  BOOST_TEST((info.partitions[0].outcome == porcupine::PartOutcome::Stopped));
  BOOST_TEST((info.partitions[1].outcome == porcupine::PartOutcome::Illegal));
}

namespace {

// The key/value model with append of the checker's own tests: get, put.
struct TkIn {
  std::string key;
  bool put = false;
  std::string value;
};
Model<TkIn, std::string, std::string> testKv() {
  Model<TkIn, std::string, std::string> m;
  m.partition = [](const History<TkIn, std::string>& h) {
    return porcupine::partitionByKey(h, [](const TkIn& in) { return in.key; });
  };
  m.init = [] { return std::string(); };
  m.step = [](const std::string& s, const TkIn& in, const std::string& out) -> std::optional<std::string> {
    if (in.put) return in.value;
    if (out != s) return std::nullopt;
    return s;
  };
  m.describeOperation = [](const TkIn& in, const std::string& out) {
    return in.put ? "put('" + in.key + "', '" + in.value + "')" : "get('" + in.key + "') -> '" + out + "'";
  };
  m.describeState = [](const std::string& s) { return s; };
  return m;
}

}  // namespace

BOOST_AUTO_TEST_CASE(checkOperationsVerbose_multipleLengths_partials) {
  // Nine operations, seven on key x and two on key y. Key x is not
  // linearizable; its longest prefixes are of lengths 6 and 3.
  using Op = porcupine::Operation<TkIn, std::string>;
  const History<TkIn, std::string> h = {
      Op{0, {"x", false, ""}, 0, "w", 100}, Op{1, {"x", true, "y"}, 5, "", 10},   Op{2, {"x", true, "z"}, 0, "", 10},
      Op{1, {"x", false, ""}, 20, "y", 30}, Op{1, {"x", true, "w"}, 35, "", 45},  Op{5, {"x", false, ""}, 25, "z", 35},
      Op{3, {"x", false, ""}, 30, "y", 40}, Op{4, {"y", false, ""}, 50, "a", 90}, Op{2, {"y", true, "a"}, 55, "", 85},
  };
  const auto m = testKv();
  auto [result, info] = porcupine::checkOperationsVerbose(m, h);
  BOOST_TEST(str(result) == "Illegal");
  BOOST_TEST_REQUIRE(info.partitions.size() == 2u);
  const auto& x = info.partitions[0];
  BOOST_TEST((x.outcome == porcupine::PartOutcome::Illegal));
  BOOST_TEST_REQUIRE(x.partials.size() == 2u);
  BOOST_TEST((x.partials[0] == std::vector<int>{2, 1, 3, 6, 4, 0}));
  BOOST_TEST((x.partials[1] == std::vector<int>{1, 2, 5}));
  BOOST_TEST((x.largest == std::vector<int>{0, 0, 0, 0, 0, 1, 0}));
  const auto& y = info.partitions[1];
  BOOST_TEST((y.outcome == porcupine::PartOutcome::Ok));
  BOOST_TEST_REQUIRE(y.partials.size() == 1u);
  BOOST_TEST((y.partials[0] == std::vector<int>{1, 0}));

  // The viewer's data: the states along each prefix, and the break of x.
  const auto view = porcupine::viewData(m, info);
  BOOST_TEST(view.result == "Illegal");
  BOOST_TEST(view.partitions[0].name == "#0");
  const auto& vx = view.partitions[0];
  BOOST_TEST((vx.prefixes[0].states == std::vector<std::string>{"z", "y", "y", "y", "w", "w"}));
  BOOST_TEST((vx.prefixes[1].states == std::vector<std::string>{"y", "z", "z"}));
  // After [2,1,3,6,4,0] only op 5 (get -> z) is left, and it is impossible in state w.
  BOOST_TEST((vx.prefixes[0].next == std::vector<int>{5}));
  BOOST_TEST((vx.prefixes[0].nextRejected == std::vector<bool>{true}));
  BOOST_TEST(vx.operations[5].description == "get('x') -> 'z'");
  BOOST_TEST((view.partitions[1].prefixes[0].states == std::vector<std::string>{"a", "a"}));
  const auto ops = info.partialLinearizationsOperations();
  BOOST_TEST(ops[1][0][0].output == "");  // put('y', 'a') first
}

BOOST_AUTO_TEST_CASE(kvModel_versionedPutAndGet) {
  using porcupine::models::KvInput;
  using porcupine::models::KvOutput;
  using porcupine::models::KvState;
  using Op = porcupine::Operation<KvInput, KvOutput>;
  const auto m = porcupine::models::kvModel();
  const KvInput put0{porcupine::models::kKvPut, "k", "a", 0};
  const KvInput put1{porcupine::models::kKvPut, "k", "b", 1};
  const KvInput get{porcupine::models::kKvGet, "k", "", 0};

  // Step by step.
  BOOST_TEST((*m.step(KvState{}, put0, {"", 0, "OK"}) == KvState{"a", 1}));
  BOOST_TEST((*m.step(KvState{}, put0, {"", 0, "ErrMaybe"}) == KvState{"a", 1}));
  BOOST_TEST(!m.step(KvState{}, put0, {"", 0, "ErrVersion"}).has_value());
  BOOST_TEST((*m.step(KvState{}, put1, {"", 0, "ErrVersion"}) == KvState{}));
  BOOST_TEST((*m.step(KvState{}, put1, {"", 0, "ErrMaybe"}) == KvState{}));
  BOOST_TEST(!m.step(KvState{}, put1, {"", 0, "OK"}).has_value());
  BOOST_TEST(!m.step(KvState{}, put1, {"", 0, "ErrNoKey"}).has_value());  // the model's known gap (spec 1.4)
  BOOST_TEST((*m.step(KvState{"a", 1}, get, {"a", 99, "whatever"}) == KvState{"a", 1}));  // only the value counts
  BOOST_TEST(!m.step(KvState{"a", 1}, get, {"b", 1, "OK"}).has_value());
  BOOST_TEST(!m.step(KvState{}, KvInput{7, "k", "", 0}, {}).has_value());

  // Texts as the lab prints them.
  BOOST_TEST(m.describeOperation(get, {"a", 1, "OK"}) == "get('k') -> ('a', '1', 'OK')");
  BOOST_TEST(m.describeOperation(put1, {"", 0, "ErrVersion"}) == "put('k', 'b', '1') -> ('ErrVersion')");
  BOOST_TEST(m.describeOperation(KvInput{7, "k", "", 0}, {}) == "<invalid>");
  BOOST_TEST(m.describeState(KvState{R"({"Id":2,"V":6})", 7}) == R"({{"Id":2,"V":6} 7})");

  // Histories: two clients race on version 0 and one retries with ErrMaybe.
  const History<KvInput, KvOutput> ok = {
      Op{0, put0, 0, {"", 0, "OK"}, 10},
      Op{1, KvInput{porcupine::models::kKvPut, "k", "c", 0}, 2, {"", 0, "ErrMaybe"}, 12},
      Op{0, get, 20, {"a", 1, "OK"}, 25},
      Op{-1, KvInput{porcupine::models::kKvGet, "other", "", 0}, 0, {"", 0, "ErrNoKey"}, 30},
  };
  BOOST_TEST(str(porcupine::checkOperations(m, ok)) == "Ok");
  History<KvInput, KvOutput> stale = ok;
  stale.push_back(Op{1, get, 30, {"", 0, "ErrNoKey"}, 35});  // a later read of nothing
  BOOST_TEST(str(porcupine::checkOperations(m, stale, {.timeout = std::chrono::seconds(1)})) == "Illegal");
  // Partitions come in key order: "k" then "other".
  auto [r, info] = porcupine::checkOperationsVerbose(m, stale);
  BOOST_TEST_REQUIRE(info.partitions.size() == 2u);
  BOOST_TEST(info.partitions[0].operations[0].input.key == "k");
  BOOST_TEST(info.partitions[1].operations[0].input.key == "other");
  const auto view = porcupine::viewData(m, info);
  BOOST_TEST(view.partitions[0].name == "key 'k'");
  BOOST_TEST(view.partitions[0].outcome == "Illegal");
  BOOST_TEST(view.partitions[1].outcome == "Ok");
  BOOST_TEST(view.partitions[0].initialState == "{ 0}");
}

BOOST_AUTO_TEST_CASE(checkOperations_modelThrows_exceptionReachesCaller) {
  struct In {
    int key = 0;
  };
  Model<In, int, int> m;
  m.partition = [](const History<In, int>& h) {
    return porcupine::partitionByKey(h, [](const In& in) { return in.key; });
  };
  m.init = [] { return 0; };
  m.step = [](const int& s, const In& in, const int&) -> std::optional<int> {
    if (in.key == 3) throw std::runtime_error("a model that cannot step key 3");
    return s;
  };
  History<In, int> h;
  for (int k = 0; k < 6; ++k) h.push_back({k, {k}, 0, 0, 1});
  for (int threads : {0, 1}) {
    BOOST_CHECK_THROW(porcupine::checkOperations(m, h, {.threads = threads}), std::runtime_error);
  }
  // A bad history is refused before any search.
  BOOST_CHECK_THROW(porcupine::checkOperations(intRegister(), RegHistory{put(0, 1, 5, 4)}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(model_defaults_describeWithStreamOperator) {
  auto m = intRegister();
  m.describeOperation = nullptr;
  const auto d = m.withDefaults();
  BOOST_TEST(d.describeState(42) == "42");
  BOOST_TEST(d.equal(3, 3));
  BOOST_TEST(d.partition(RegHistory{put(0, 1, 0, 1)}).size() == 1u);
  BOOST_TEST(d.describeOperation(RegIn{}, 5) == "? -> 5");
}

BOOST_AUTO_TEST_SUITE_END()
