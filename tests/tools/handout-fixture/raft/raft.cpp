// A reference in miniature for the handout's own test.
int lastIndex() {
  // BEGIN SOLUTION 2B
  return secretLogBase + secretLogSize - 1;
  // ELSE
  // return 0;
  // END SOLUTION
}

int term() {
    // BEGIN SOLUTION 2A
    int secretCurrentTerm = computeTheSecretTerm();
    return secretCurrentTerm;
    // END SOLUTION
  return -1;
}
