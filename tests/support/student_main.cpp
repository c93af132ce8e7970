// The entry point of build/<backend>/student_tests: the unit tests a student
// keeps beside their Raft (raft/*_test.cpp), run by `make test` but not by
// `make lab`, so a helper the student chose not to write fails nothing there.
#define BOOST_TEST_MODULE student
#include <boost/test/unit_test.hpp>
