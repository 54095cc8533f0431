package main

import (
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/airlock-sdk/airlock/record"
)

// cmdKeygen writes the keys a gateway's record needs: an Ed25519 pair that
// signs checkpoints and an HMAC key for secrets. Existing files are never
// overwritten.
func cmdKeygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("out", ".", "directory to write record-signing.pem, record-signing.pub and record-hmac.key into")
	if err := fs.Parse(args); err != nil {
		return parseExit(err)
	}
	priv, pub, err := record.GenerateKey()
	if err != nil {
		fmt.Fprintln(stderr, "airlock keygen:", err)
		return 1
	}
	privPEM, err := record.MarshalPrivateKey(priv)
	if err != nil {
		fmt.Fprintln(stderr, "airlock keygen:", err)
		return 1
	}
	pubPEM, err := record.MarshalPublicKey(pub)
	if err != nil {
		fmt.Fprintln(stderr, "airlock keygen:", err)
		return 1
	}
	hmacKey := make([]byte, 32)
	if _, err := rand.Read(hmacKey); err != nil {
		fmt.Fprintln(stderr, "airlock keygen:", err)
		return 1
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"record-signing.pem", privPEM, 0o600},
		{"record-signing.pub", pubPEM, 0o644},
		{"record-hmac.key", []byte(base64.StdEncoding.EncodeToString(hmacKey) + "\n"), 0o600},
	}
	for _, f := range files {
		path := filepath.Join(*dir, f.name)
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.mode)
		if err != nil {
			fmt.Fprintln(stderr, "airlock keygen:", err)
			return 1
		}
		_, werr := fh.Write(f.data)
		if cerr := fh.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			fmt.Fprintln(stderr, "airlock keygen:", werr)
			return 1
		}
		fmt.Fprintln(stdout, "wrote", path)
	}
	return 0
}
