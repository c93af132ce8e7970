// The suites of the Raft tests, named for LAB_EDITION's year (tester/edition.hpp).
#pragma once

#include <boost/test/tree/traverse.hpp>
#include <boost/test/tree/visitor.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>

#include "tester/edition.hpp"

namespace raft_tests {

// A part's suite: BOOST_AUTO_TEST_SUITE(Raft2B, *raft_tests::part("2B")).
// Labels the suite with its part and names it and its tests as LAB_EDITION's
// year does (Raft3B, @3B, TestBackup3B in 2025); with the default edition
// nothing changes. Boost applies decorators after every test is registered
// and before --run_test or --list_content read a name or a label.
class part : public boost::unit_test::decorator::base {
 public:
  explicit part(std::string label) : label_(std::move(label)) {}

 private:
  void apply(boost::unit_test::test_unit& tu) override {
    const tester::Edition& ed = tester::edition();
    tu.add_label(ed.name(label_));
    tu.p_name.value = ed.name(tu.p_name.get());
    if (tu.p_type != boost::unit_test::TUT_SUITE) return;
    struct Rename : boost::unit_test::test_tree_visitor {
      const tester::Edition& ed;
      explicit Rename(const tester::Edition& e) : ed(e) {}
      void visit(const boost::unit_test::test_case& tc) override {
        // The tree is Boost's to change while it sets up (it does the same).
        const_cast<boost::unit_test::test_case&>(tc).p_name.value = ed.name(tc.p_name.get());
      }
    } rename(ed);
    boost::unit_test::traverse_test_tree(static_cast<boost::unit_test::test_suite&>(tu), rename, true);
  }
  boost::unit_test::decorator::base_ptr clone() const override {
    return boost::unit_test::decorator::base_ptr(new part(label_));
  }

  std::string label_;
};

}  // namespace raft_tests
