// The Raft lab tests (Go's src/raft/test_test.go, 2023): one Boost.Test
// suite per part, labelled 2A..2D, so `--run_test=@2B` runs part B.
// LAB_EDITION=2025 or 2026 runs them as those years changed them, named and
// labelled 3A..3D (tester/edition.hpp, tests/raft/part.hpp).
#define BOOST_TEST_MODULE raft
#include <boost/test/unit_test.hpp>
