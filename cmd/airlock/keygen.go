package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/airlock-sdk/airlock/record"
)

const keygenUsage = `usage: airlock keygen [--out DIR]

Writes the keys a gateway's record needs, never overwriting a file:
  record-signing.pem  Ed25519 private key that signs checkpoints (mode 0600;
                      record.signing_key_file in airlock.yaml)
  record-signing.pub  its public key, for airlock verify --key (give it to
                      auditors)
  record-hmac.key     key of the HMACs that replace secrets (mode 0600;
                      record.hmac_key_file)

flags:`

// gitWorkTree returns the root of the git work tree holding dir, or "".
func gitWorkTree(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// cmdKeygen writes the keys a gateway's record needs: an Ed25519 pair that
// signs checkpoints and an HMAC key for secrets. Existing files are never
// overwritten.
func cmdKeygen(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("keygen", stderr)
	dir := fs.String("out", ".", "directory to write record-signing.pem, record-signing.pub and record-hmac.key into")
	if _, code := parseFlagsN(fs, args, 0, keygenUsage, stdout, stderr); code >= 0 {
		return code
	}
	if root := gitWorkTree(*dir); root != "" {
		fmt.Fprintf(stderr, "airlock keygen: warning: %s is inside the git work tree %s; a private key there is one `git add .` away from a commit. Keep keys outside it (for example --out /etc/airlock), or make sure git ignores them.\n", *dir, root)
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
