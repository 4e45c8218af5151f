"""Pure functions over bytes: hex, Tars, the 3.x and 2.x transaction codecs, receipts, ABI."""
