// The Raft lab tests (Go's src/raft/test_test.go, 2023): one Boost.Test
// suite per part, labelled 2A..2D, so `--run_test=@2B` runs part B.
#define BOOST_TEST_MODULE raft
#include <boost/test/unit_test.hpp>
