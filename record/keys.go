package record

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Key handling.
//
// Checkpoints are signed with an Ed25519 private key that only the recording
// process holds; auditors verify with the public key. Keys are stored as PEM
// (PKCS #8 "PRIVATE KEY", PKIX "PUBLIC KEY", what openssl genpkey -algorithm
// ed25519 writes) or as a bare base64 line of the raw key (32-byte public
// key; 32-byte seed or 64-byte private key). The HMAC key that replaces
// secrets is any random byte string of at least 16 bytes (ReadHMACKey takes
// raw bytes or base64); keep it apart from the record, with the signing key.

// GenerateKey returns a new Ed25519 key pair for checkpoints.
func GenerateKey() (ed25519.PrivateKey, ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("record: generate key: %w", err)
	}
	return priv, pub, nil
}

// MarshalPrivateKey returns priv as PEM (PKCS #8).
func MarshalPrivateKey(priv ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("record: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKey returns pub as PEM (PKIX).
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("record: encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// decodeKey reads an Ed25519 key K (what: "private" or "public") from
// PEM through parse, or, when data is not PEM, returns its base64-decoded
// bytes (never nil) for the caller to read.
func decodeKey[K ed25519.PrivateKey | ed25519.PublicKey](data []byte, what string, parse func([]byte) (any, error)) (K, []byte, error) {
	if blk, _ := pem.Decode(data); blk != nil {
		k, err := parse(blk.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("record: parse %s key: %w", what, err)
		}
		key, ok := k.(K)
		if !ok {
			return nil, nil, fmt.Errorf("record: %s key is %T, want Ed25519", what, k)
		}
		return key, nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, nil, fmt.Errorf("record: parse %s key: neither PEM nor base64: %w", what, err)
	}
	if raw == nil {
		raw = []byte{}
	}
	return nil, raw, nil
}

// ParsePrivateKey reads a PEM or base64 Ed25519 private key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	priv, raw, err := decodeKey[ed25519.PrivateKey](data, "private", x509.ParsePKCS8PrivateKey)
	if err != nil || raw == nil {
		return priv, err
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		priv := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		if !priv.Equal(ed25519.PrivateKey(raw)) {
			return nil, errors.New("record: parse private key: inconsistent 64-byte key")
		}
		return priv, nil
	}
	return nil, fmt.Errorf("record: parse private key: %d bytes, want 32 or 64", len(raw))
}

// ParsePublicKey reads a PEM or base64 Ed25519 public key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	pub, raw, err := decodeKey[ed25519.PublicKey](data, "public", x509.ParsePKIXPublicKey)
	if err != nil || raw == nil {
		return pub, err
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("record: parse public key: %d bytes, want 32", len(raw))
	}
	return ed25519.PublicKey(raw), nil
}

// ReadPrivateKey reads a private key file.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return ParsePrivateKey(b)
}

// ReadPublicKey reads a public key file.
func ReadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return ParsePublicKey(b)
}

// ReadHMACKey reads an HMAC key file: base64 text, or raw bytes when the
// content is not base64. It refuses keys shorter than 16 bytes.
func ReadHMACKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	key := b
	if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b))); err == nil {
		key = dec
	}
	if len(key) < 16 {
		return nil, fmt.Errorf("record: HMAC key in %s has %d bytes, want at least 16", path, len(key))
	}
	return key, nil
}
