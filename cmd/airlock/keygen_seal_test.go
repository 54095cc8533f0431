package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// airlock keygen --seal FILE writes a key that review.seal_key_file
// accepts (mode 0600, base64, long enough), a new one each time, and
// never overwrites a file: an existing key (or anything else) is left as
// it was and keygen fails.
func TestKeygenSeal(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := cmdKeygen(args, &out, &errb)
		return code, out.String() + errb.String()
	}
	var keys [][]byte
	for _, name := range []string{"a.key", "b.key"} {
		path := filepath.Join(dir, name)
		if code, out := run("--seal", path); code != 0 {
			t.Fatalf("keygen --seal %s: %d: %s", name, code, out)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %04o", name, st.Mode().Perm())
		}
		key, err := readSealKey(path)
		if err != nil {
			t.Fatalf("review.seal_key_file refuses the key keygen wrote: %v", err)
		}
		if opts, err := reviewStoreOptions(reviewConfig{SealKeyFile: path}); err != nil || !bytes.Equal(opts.SealKey, key) {
			t.Fatalf("review store options: %v", err)
		}
		keys = append(keys, key)
	}
	if bytes.Equal(keys[0], keys[1]) {
		t.Fatal("two runs wrote the same key")
	}
	// Only the seal key: no record keys beside it.
	if _, err := os.Stat(filepath.Join(dir, "record-hmac.key")); !os.IsNotExist(err) {
		t.Errorf("keygen --seal wrote record keys too: %v", err)
	}
	// An existing file is not overwritten, a key or not.
	for _, tc := range []struct{ name, content string }{{"a.key", ""}, {"other", "not a key\n"}} {
		path := filepath.Join(dir, tc.name)
		if tc.content != "" {
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := os.ReadFile(path)
		code, out := run("--seal", path)
		if code == 0 || !strings.Contains(out, "exists") {
			t.Errorf("keygen --seal over %s: %d: %s", tc.name, code, out)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("keygen --seal changed %s", tc.name)
		}
	}
	if code, out := run("--seal", filepath.Join(dir, "c.key"), "--out", dir); code != 2 {
		t.Errorf("--seal with --out: %d: %s", code, out)
	}
}
