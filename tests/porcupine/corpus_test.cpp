// Every history of the corpus against its expected answer, with the models
// it was recorded for; the verbose check agrees; the viewer's page of an
// illegal and of a linearizable corpus history (scripts/test-porcupine-viewer
// then renders them).
#define BOOST_TEST_MODULE porcupine
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "porcupine/checker.hpp"
#include "porcupine/models/append_kv.hpp"
#include "porcupine/models/register.hpp"
#include "porcupine/viewer.hpp"
#include "tests/porcupine/corpus.hpp"

namespace {

using porcupine::CheckResult;
namespace models = porcupine::models;

const std::map<std::string, bool>& expected() {
  static const auto answers = corpus::readExpected(corpus::root() + "/expected.txt");
  return answers;
}

std::string etcdName(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "etcd_%03d", i);
  return name;
}

CheckResult answer(bool linearizable) { return linearizable ? CheckResult::Ok : CheckResult::Illegal; }

// Where the viewer tests write their pages: $PORCUPINE_VIEW_DIR, else build/porcupine.
std::string viewDir() {
  const char* env = std::getenv("PORCUPINE_VIEW_DIR");
  std::string dir = env && *env ? env : "build/porcupine";
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(corpus_tests)

BOOST_AUTO_TEST_CASE(checkEvents_jepsenEtcd_matchesExpected) {
  int checked = 0;
  for (int i = 0; i <= 102; ++i) {
    const std::string name = etcdName(i);
    const auto events = corpus::readJepsenLog(corpus::root() + "/jepsen/" + name + ".log");
    const CheckResult got = porcupine::checkEvents(models::registerModel(), events);
    const auto it = expected().find(name);
    if (it == expected().end()) {
      // No answer is known (etcd_095 is an empty log): it must end, with an answer.
      BOOST_TEST_MESSAGE(name << ": no expected answer; " << events.size() << " events, checked " << toString(got));
      std::printf("corpus: %s has no expected answer: %zu events, %s\n", name.c_str(), events.size(),
                  toString(got).c_str());
      BOOST_TEST(got != CheckResult::Unknown);
      continue;
    }
    BOOST_TEST_CONTEXT(name) { BOOST_TEST(toString(got) == toString(answer(it->second))); }
    ++checked;
  }
  BOOST_TEST(checked == 102);
  std::printf("corpus: %d jepsen etcd histories match expected.txt\n", checked);
}

BOOST_AUTO_TEST_CASE(checkEvents_kvPartitioned_matchesExpected) {
  for (const char* name : {"c01-ok", "c01-bad", "c10-ok", "c10-bad", "c50-ok", "c50-bad"}) {
    const auto events = corpus::readKvLog(corpus::root() + "/kv/" + name + ".txt");
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST_REQUIRE(expected().count(name) == 1u);
      const CheckResult want = answer(expected().at(name));
      BOOST_TEST(toString(porcupine::checkEvents(models::appendKvModel(), events)) == toString(want));
      // One thread, and verbose: the same answers. Both must go through every
      // partition until an illegal one (verbose: all of them), and some keys
      // of c50-bad are beyond any search (as in Go), so the bad histories get
      // a budget of 1 s (their illegal keys take 0.2 s at most); the good ones
      // get a budget no loaded machine reaches, so that the answer never
      // depends on timing.
      const auto budget = expected().at(name) ? std::chrono::seconds(60) : std::chrono::seconds(1);
      const porcupine::CheckOptions oneThread{.timeout = budget, .threads = 1};
      BOOST_TEST(toString(porcupine::checkEvents(models::appendKvModel(), events, oneThread)) == toString(want));
      BOOST_TEST(toString(porcupine::checkEventsVerbose(models::appendKvModel(), events, {.timeout = budget}).first) ==
                 toString(want));
    }
  }
  std::printf("corpus: 6 key/value histories match expected.txt\n");
}

BOOST_AUTO_TEST_CASE(checkEvents_kvWholeMap_matchesExpected) {
  // The whole store as one state: no partitioning, so a far larger search.
  for (const char* name : {"c01-ok", "c01-bad", "c10-ok", "c10-bad"}) {
    const auto events = corpus::readKvLog(corpus::root() + "/kv/" + name + ".txt");
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(toString(porcupine::checkEvents(models::appendKvModelWhole(), events)) ==
                 toString(answer(expected().at(name))));
    }
  }
}

BOOST_AUTO_TEST_CASE(checkEventsVerbose_jepsen_partialsAreLinearizablePrefixes) {
  // For an illegal history, every prefix reported replays through the model,
  // and every operation in one points at the longest that holds it.
  for (int i : {0, 1, 3, 70}) {
    const auto events = corpus::readJepsenLog(corpus::root() + "/jepsen/" + etcdName(i) + ".log");
    const auto model = models::registerModel();
    auto [result, info] = porcupine::checkEventsVerbose(model, events);
    BOOST_TEST_CONTEXT(etcdName(i)) {
      BOOST_TEST(toString(result) == "Illegal");
      BOOST_TEST_REQUIRE(info.partitions.size() == 1u);
      const auto& part = info.partitions[0];
      BOOST_TEST(!part.partials.empty());
      for (std::size_t k = 1; k < part.partials.size(); ++k) {
        BOOST_TEST(part.partials[k - 1].size() >= part.partials[k].size());
      }
      for (const auto& seq : part.partials) {
        int state = model.init();
        for (int id : seq) {
          auto next = model.step(state, part.operations[id].input, part.operations[id].output);
          BOOST_TEST_REQUIRE(next.has_value());
          state = *next;
        }
      }
      for (std::size_t id = 0; id < part.largest.size(); ++id) {
        if (part.largest[id] < 0) continue;
        const auto& seq = part.partials[part.largest[id]];
        BOOST_TEST(std::count(seq.begin(), seq.end(), static_cast<int>(id)) == 1);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(visualize_illegalCorpusHistory_writesPageWithBreak) {
  const auto events = corpus::readKvLog(corpus::root() + "/kv/c10-bad.txt");
  const auto model = models::appendKvModel();
  auto [result, info] = porcupine::checkEventsVerbose(model, events);
  BOOST_TEST_REQUIRE(toString(result) == "Illegal");
  // Annotations as a test would add them: one per lane kind.
  const auto& ops = info.partitions.front().operations;
  const porcupine::Time mid = ops[ops.size() / 2].call;
  info.addAnnotations({
      {.tag = "$ Test Info", .start = 0, .description = "c10-bad (10 clients)", .details = "from the corpus"},
      {.clientId = 3,
       .start = mid,
       .end = mid + 2,
       .description = "note on client 3",
       .details = "a <b>client</b> note"},
      {.tag = "$ Failure",
       .start = mid,
       .end = mid + 40,
       .description = "partition = [0 1] [2]",
       .backgroundColor = "#B3E5FC"},
      {.global = true, .start = mid + 60, .description = "test failed", .details = "history is not linearizable"},
  });
  const porcupine::ViewData data = porcupine::viewData(model, info);
  int illegalParts = 0, breaks = 0;
  for (const auto& p : data.partitions) {
    if (p.outcome != "Illegal") continue;
    ++illegalParts;
    BOOST_TEST_REQUIRE(!p.prefixes.empty());
    breaks += static_cast<int>(p.prefixes.front().next.size());
    BOOST_TEST(p.prefixes.front().states.size() == p.prefixes.front().ops.size());
  }
  BOOST_TEST(illegalParts >= 1);
  BOOST_TEST(breaks >= 1);
  const std::string path = viewDir() + "/c10-bad.html";
  std::string error;
  BOOST_TEST_REQUIRE(porcupine::visualize(model, info, path, "c10-bad", &error), error);
  const std::string page = porcupine::renderViewer(data);
  // The JSON is inert inside the page: no markup survives in the data.
  BOOST_TEST(page.find("<b>client</b>") == std::string::npos);
  BOOST_TEST(page.find("\\u003cb\\u003eclient") != std::string::npos);
  std::printf("corpus: viewer of c10-bad written to %s\n", path.c_str());
  // For the browser test: an operation of an illegal partition, preferably
  // one whose longest prefix is not the one drawn first, as
  // "<partition>-<operation> <prefix length>".
  std::string select;
  for (int wanted : {1, 0}) {
    for (std::size_t p = 0; p < data.partitions.size() && select.empty(); ++p) {
      const auto& part = data.partitions[p];
      const auto at = std::find_if(part.largest.begin(), part.largest.end(), [&](int k) { return k >= wanted; });
      if (part.outcome != "Illegal" || at == part.largest.end()) continue;
      select = std::to_string(p) + "-" + std::to_string(at - part.largest.begin()) + " " +
               std::to_string(part.prefixes[*at].ops.size());
    }
  }
  BOOST_TEST_REQUIRE(!select.empty());
  std::ofstream(viewDir() + "/c10-bad.select") << select << "\n";

  // And a linearizable one (every partition drawn in full, no break).
  const auto okEvents = corpus::readKvLog(corpus::root() + "/kv/c01-ok.txt");
  auto [okResult, okInfo] = porcupine::checkEventsVerbose(model, okEvents);
  BOOST_TEST(toString(okResult) == "Ok");
  for (const auto& p : porcupine::viewData(model, okInfo).partitions) {
    BOOST_TEST_REQUIRE(p.prefixes.size() == 1u);
    BOOST_TEST(p.prefixes[0].ops.size() == p.operations.size());
    BOOST_TEST(p.prefixes[0].next.empty());
  }
  BOOST_TEST(porcupine::visualize(model, okInfo, viewDir() + "/c01-ok.html", "c01-ok"));
}

BOOST_AUTO_TEST_SUITE_END()
