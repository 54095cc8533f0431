package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/airlock-sdk/airlock/approval/pgapproval"
)

// readSealKey reads review.seal_key_file, the key that seals the rows of
// the PostgreSQL review store: the key in base64 (standard encoding, one
// line), at least pgapproval.MinSealKeyLen bytes once decoded. Raw bytes
// are refused: a raw key that happens to read as base64 would silently
// shrink. Like ssh with a
// private key, it refuses a file that its group or others may read: whoever
// holds the key can approve anything.
func readSealKey(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s is readable by its group or others (mode %04o): whoever reads it can approve anything; chmod 600 it", path, perm)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	hint := "make a new one with: airlock keygen --seal FILE"
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s does not hold a base64 key (%s)", path, hint)
	}
	if len(key) < pgapproval.MinSealKeyLen {
		return nil, fmt.Errorf("%s holds a key of %d bytes, at least %d are needed (%s)", path, len(key), pgapproval.MinSealKeyLen, hint)
	}
	return key, nil
}

// reviewStoreOptions are the options of the PostgreSQL review store:
// sealed with the key of review.seal_key_file, or unsealed when
// review.unsealed says so (validate makes sure one of them is set).
func reviewStoreOptions(r reviewConfig) (pgapproval.Options, error) {
	if r.Unsealed {
		return pgapproval.Options{Unsealed: true}, nil
	}
	key, err := readSealKey(r.SealKeyFile)
	if err != nil {
		return pgapproval.Options{}, fmt.Errorf("review.seal_key_file: %w", err)
	}
	return pgapproval.Options{SealKey: key}, nil
}
