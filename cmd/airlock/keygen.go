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

const keygenUsage = `usage: airlock keygen [--out DIR]
       airlock keygen --seal FILE

Writes the keys a gateway's record needs, never overwriting a file:
  record-signing.pem  Ed25519 private key that signs checkpoints (mode 0600;
                      record.signing_key_file in airlock.yaml)
  record-signing.pub  its public key, for airlock verify --key (give it to
                      auditors)
  record-hmac.key     key of the HMACs that replace secrets (mode 0600;
                      record.hmac_key_file)

With --seal, writes only FILE instead: the key that seals the rows of the
PostgreSQL review store (review.seal_key_file; mode 0600, the same file on
every replica), never overwriting it.

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
	seal := fs.String("seal", "", "write only the review store's seal key (review.seal_key_file) into this `FILE`")
	if _, code := parseFlagsN(fs, args, 0, keygenUsage, stdout, stderr); code >= 0 {
		return code
	}
	if *seal != "" {
		set := false
		fs.Visit(func(f *flag.Flag) { set = set || f.Name == "out" })
		if set {
			fmt.Fprintln(stderr, "airlock keygen: --seal writes one file: give --out or --seal, not both")
			return 2
		}
		return keygenSeal(*seal, stdout, stderr)
	}
	warnGitWorkTree(*dir, stderr)
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
		if err := writeNewFile(path, f.data, f.mode); err != nil {
			fmt.Fprintln(stderr, "airlock keygen:", err)
			return 1
		}
		fmt.Fprintln(stdout, "wrote", path)
	}
	return 0
}

// warnGitWorkTree warns when dir, where keys are written, lies inside a
// git work tree.
func warnGitWorkTree(dir string, stderr io.Writer) {
	if root := gitWorkTree(dir); root != "" {
		fmt.Fprintf(stderr, "airlock keygen: warning: %s is inside the git work tree %s; a private key there is one `git add .` away from a commit. Keep keys outside it (for example --out /etc/airlock), or make sure git ignores them.\n", dir, root)
	}
}

// writeNewFile creates path with data and mode; it fails when path exists.
func writeNewFile(path string, data []byte, mode os.FileMode) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, werr := fh.Write(data)
	if cerr := fh.Close(); werr == nil {
		werr = cerr
	}
	return werr
}
