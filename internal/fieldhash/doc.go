// Package fieldhash hashes a sequence of fields with SHA-256 so that no
// two sequences share an encoding: every byte field is preceded by its
// length and every number is written in a fixed eight bytes, both
// big-endian. The gate's review digest and the record's chain hash both
// stand on it.
package fieldhash
