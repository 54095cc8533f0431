package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"path/filepath"

	"github.com/airlock-sdk/airlock/approval/pgapproval"
)

// sealKeyLen is the length of the seal keys keygen makes.
const sealKeyLen = pgapproval.MinSealKeyLen

// keygenSeal writes a new seal key for the PostgreSQL review store
// (review.seal_key_file) into path: base64 of sealKeyLen random bytes, mode
// 0600, never overwriting a file.
func keygenSeal(path string, stdout, stderr io.Writer) int {
	warnGitWorkTree(filepath.Dir(path), stderr)
	key := make([]byte, sealKeyLen)
	if _, err := rand.Read(key); err != nil {
		fmt.Fprintln(stderr, "airlock keygen:", err)
		return 1
	}
	if err := writeNewFile(path, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		fmt.Fprintln(stderr, "airlock keygen:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (review.seal_key_file; the same file on every replica)\n", path)
	return 0
}
