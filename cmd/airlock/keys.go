package main

import (
	"crypto/ed25519"
	"fmt"
	"os"

	"github.com/airlock-sdk/airlock/record"
)

// readVerifyKey reads the public key that checks a record's signatures, and
// says what to do when the file holds something else (most often the
// private key, handed over by mistake).
func readVerifyKey(path string) (ed25519.PublicKey, error) {
	pub, err := record.ReadPublicKey(path)
	if err == nil {
		return pub, nil
	}
	data, rerr := os.ReadFile(path)
	if rerr != nil {
		return nil, fmt.Errorf("--key %s: %w", path, rerr)
	}
	if _, perr := record.ParsePrivateKey(data); perr == nil {
		return nil, fmt.Errorf("--key %s is a private signing key; verify takes the public key (record-signing.pub from airlock keygen), which can be handed to auditors", path)
	}
	return nil, fmt.Errorf("--key %s is not an Ed25519 public key (PEM \"PUBLIC KEY\" or base64, as airlock keygen writes record-signing.pub)", path)
}
