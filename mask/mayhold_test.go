package mask

// mayHoldInPieces is mayBeIn of the bytes of t.
func (d *literalDetector) mayHoldInPieces(t []byte) bool {
	var seen byteSet
	seen.add(t)
	return d.mayBeIn(&seen)
}
