package record

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
)

// The sink-level log is a Merkle tree with RFC 6962 (RFC 9162 §2.1)
// hashing, written here rather than imported: the tree, its inclusion and
// consistency proofs are a hundred lines, and golang.org/x/mod/sumdb/tlog,
// the well-kept alternative, addresses hashes by its own storage layout,
// which a verifier holding leaves in memory would have to emulate.

// Hash is a SHA-256 tree hash.
type Hash = [sha256.Size]byte

// LeafHash returns the RFC 6962 hash of a leaf: SHA-256(0x00 || data).
func LeafHash(data []byte) Hash {
	if len(data) == sha256.Size { // an entry hash: no allocation
		var b [1 + sha256.Size]byte
		copy(b[1:], data)
		return sha256.Sum256(b[:])
	}
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash returns the RFC 6962 hash of an interior node:
// SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var b [1 + 2*sha256.Size]byte
	b[0] = 1
	copy(b[1:], left[:])
	copy(b[1+sha256.Size:], right[:])
	return sha256.Sum256(b[:])
}

// emptyRoot is the root of the empty tree: SHA-256 of nothing.
var emptyRoot = sha256.Sum256(nil)

// frontier is the compact right edge of a growing tree: the roots of its
// perfect subtrees, largest first, one per set bit of size. Appending a
// leaf costs one node hash on average.
type frontier struct {
	size  uint64
	nodes []Hash
}

func (f *frontier) append(leaf Hash) {
	f.nodes = append(f.nodes, leaf)
	for n := f.size; n&1 == 1; n >>= 1 {
		k := len(f.nodes)
		f.nodes[k-2] = NodeHash(f.nodes[k-2], f.nodes[k-1])
		f.nodes = f.nodes[:k-1]
	}
	f.size++
}

// root returns the tree hash of the leaves appended so far.
func (f *frontier) root() Hash {
	if len(f.nodes) == 0 {
		return emptyRoot
	}
	r := f.nodes[len(f.nodes)-1]
	for i := len(f.nodes) - 2; i >= 0; i-- {
		r = NodeHash(f.nodes[i], r)
	}
	return r
}

// treeRoot returns the RFC 6962 tree hash of leaves (leaf hashes).
func treeRoot(leaves []Hash) Hash {
	switch len(leaves) {
	case 0:
		return emptyRoot
	case 1:
		return leaves[0]
	}
	k := split(uint64(len(leaves)))
	return NodeHash(treeRoot(leaves[:k]), treeRoot(leaves[k:]))
}

// split returns the largest power of two smaller than n (n >= 2).
func split(n uint64) uint64 {
	return 1 << (bits.Len64(n-1) - 1)
}

// InclusionProof returns the audit path of leaf index in the tree of
// leaves (RFC 6962 §2.1.1).
func InclusionProof(leaves []Hash, index uint64) ([]Hash, error) {
	if index >= uint64(len(leaves)) {
		return nil, fmt.Errorf("record: leaf %d outside a tree of %d", index, len(leaves))
	}
	return inclusion(leaves, index), nil
}

func inclusion(leaves []Hash, m uint64) []Hash {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(uint64(len(leaves)))
	if m < k {
		return append(inclusion(leaves[:k], m), treeRoot(leaves[k:]))
	}
	return append(inclusion(leaves[k:], m-k), treeRoot(leaves[:k]))
}

// ErrProof is wrapped by the errors of proofs that do not verify.
var ErrProof = errors.New("record: proof does not verify")

// VerifyInclusion checks that leaf is at index in the tree of size leaves
// with root (RFC 9162 §2.1.3.2).
func VerifyInclusion(leaf Hash, index, size uint64, proof []Hash, root Hash) error {
	if index >= size {
		return fmt.Errorf("%w: leaf %d outside a tree of %d", ErrProof, index, size)
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range proof {
		if sn == 0 {
			return fmt.Errorf("%w: inclusion proof too long", ErrProof)
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: inclusion proof too short", ErrProof)
	}
	if r != root {
		return fmt.Errorf("%w: leaf %d is not in the tree of size %d with that root", ErrProof, index, size)
	}
	return nil
}

// ConsistencyProof returns the proof that the tree of the first m leaves is
// a prefix of the tree of all leaves (RFC 6962 §2.1.2).
func ConsistencyProof(leaves []Hash, m uint64) ([]Hash, error) {
	n := uint64(len(leaves))
	if m > n {
		return nil, fmt.Errorf("record: consistency from %d to a smaller tree of %d", m, n)
	}
	if m == 0 || m == n {
		return nil, nil
	}
	return subproof(m, leaves, true), nil
}

func subproof(m uint64, leaves []Hash, whole bool) []Hash {
	n := uint64(len(leaves))
	if m == n {
		if whole {
			return nil
		}
		return []Hash{treeRoot(leaves)}
	}
	k := split(n)
	if m <= k {
		return append(subproof(m, leaves[:k], whole), treeRoot(leaves[k:]))
	}
	return append(subproof(m-k, leaves[k:], false), treeRoot(leaves[:k]))
}

// VerifyConsistency checks that the tree (size1, root1) is a prefix of the
// tree (size2, root2) (RFC 9162 §2.1.4.2).
func VerifyConsistency(size1, size2 uint64, proof []Hash, root1, root2 Hash) error {
	switch {
	case size1 > size2:
		return fmt.Errorf("%w: tree of %d cannot grow into one of %d", ErrProof, size1, size2)
	case size1 == size2:
		if len(proof) != 0 || root1 != root2 {
			return fmt.Errorf("%w: two trees of size %d with different roots", ErrProof, size1)
		}
		return nil
	case size1 == 0:
		if len(proof) != 0 {
			return fmt.Errorf("%w: proof from the empty tree must be empty", ErrProof)
		}
		return nil
	}
	if len(proof) == 0 {
		return fmt.Errorf("%w: empty consistency proof", ErrProof)
	}
	if size1&(size1-1) == 0 { // a power of two: root1 is the first node
		proof = append([]Hash{root1}, proof...)
	}
	fn, sn := size1-1, size2-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := proof[0], proof[0]
	for _, c := range proof[1:] {
		if sn == 0 {
			return fmt.Errorf("%w: consistency proof too long", ErrProof)
		}
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			sr = NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: consistency proof too short", ErrProof)
	}
	if fr != root1 || sr != root2 {
		return fmt.Errorf("%w: the tree of %d is not a prefix of the tree of %d", ErrProof, size1, size2)
	}
	return nil
}
