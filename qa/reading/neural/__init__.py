"""The shipped neural span reader: trained weights (a delta over the default encoder) and the code that loads them."""
