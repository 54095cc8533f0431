package packed

// decodeRun is decodeWholeRun of the run of encoded characters b starts
// with.
func decodeRun(b []byte, whole bool) []byte {
	return decodeWholeRun(b[:encodedRunLen(b)], whole)
}
