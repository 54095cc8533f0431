package record

import "unsafe"

// hexArenaHashes is how many hashes' hex one hexArena allocation holds.
const hexArenaHashes = 8

// hexArena makes the hex strings of hashes (Event.Hash, what hashHex
// returns) several to an allocation: the recorder seals two entries per
// PostgreSQL statement, and a string of its own each was an allocation
// each (and garbage to collect). A string handed out is never written
// again (the arena only writes past the last one it handed out), so it is
// as immutable as any other; it keeps its allocation, at most
// hexArenaHashes hashes' hex, alive. The zero value is ready to use; it
// is not safe for concurrent use.
type hexArena struct {
	free []byte // the part of the current allocation not handed out
}

// hex returns h in lower-case hex, as hashHex does.
func (a *hexArena) hex(h Hash) string {
	const n = 2 * len(Hash{})
	if len(a.free) < n {
		a.free = make([]byte, n*hexArenaHashes)
	}
	b := a.free[:n:n]
	a.free = a.free[n:]
	encodeHex(b, h[:])
	return unsafe.String(&b[0], n)
}
