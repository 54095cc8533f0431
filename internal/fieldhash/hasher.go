package fieldhash

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
)

// Hasher accumulates fields into a SHA-256 sum. Make one with New.
type Hasher struct {
	h hash.Hash
	n [8]byte
}

// New returns an empty Hasher.
func New() *Hasher { return &Hasher{h: sha256.New()} }

// Field writes b preceded by its length as eight big-endian bytes.
func (f *Hasher) Field(b []byte) {
	binary.BigEndian.PutUint64(f.n[:], uint64(len(b)))
	f.h.Write(f.n[:])
	f.h.Write(b)
}

// Num writes v as eight big-endian bytes.
func (f *Hasher) Num(v uint64) {
	binary.BigEndian.PutUint64(f.n[:], v)
	f.h.Write(f.n[:])
}

// Sum appends the SHA-256 of what was written to b and returns it.
func (f *Hasher) Sum(b []byte) []byte { return f.h.Sum(b) }
