package sshgate

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// rewritingReads are command lines of programs that print what they read
// as it is, but for one option in a spelling getopt takes (a long
// option's prefix, an obsolete count) or a format that glues, escapes or
// cuts: each prints the card file's card cut, glued to digits or escaped.
// {F} holds the card, {S} the card in four groups, {T} the groups
// separated by tabs.
var rewritingReads = []string{
	"tail --b=15 {F}", "tail --by 15 {F}", "head --byt=12 {F}", "tail +2c {F}", "head --b 13 {F}",
	"tac --s=1 {F}", "tac --sep=4 {S}", "nl -s 9 -w 1 {F}", "nl --number-s=0 {F}", "cat {F} | nl -s9",
	"printf %q \"$(cat {S})\"", "printf -- '%.15s\\n' \"$(cat {F})\"", "printf -- '%.12s\\n' \"$(cat {F})\"",
	"printf '%s' 9 \"$(cat {F})\"", "printf '%sZ' $(cat {S})", "echo 9$(cat {F})", "echo \"9$(cat {S})\"",
	"cat -T {T}", "cat -A {T}", "cat --show-t {T}",
}

// TestMaskedRewritingOptionsRefused: under a masking decision each line
// of rewritingReads is refused and nothing of the card reaches the
// client; the control gateway (masking, no refusal) shows that they
// carry the card past the masker, cut or glued.
func TestMaskedRewritingOptionsRefused(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	dir := t.TempDir()
	file, spaced := filepath.Join(dir, "cards.txt"), filepath.Join(dir, "spaced.txt")
	if err := os.WriteFile(file, []byte(transformCard+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spaced, []byte("4111 1111 1111 1111\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tabbed := filepath.Join(dir, "tabbed.txt")
	if err := os.WriteFile(tabbed, []byte("4111\t1111\t1111\t1111\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, up, maskedReadRules)
	control := startGateway(t, up, maskedReadRules, func(c *Config) { c.AllowMaskedTransforms = true })
	nonDigits := regexp.MustCompile(`[^0-9]`)
	// The card's digits, eleven of its ones at least, in what the client
	// read once the masker's labels and every other byte are taken out.
	leaked := func(out string) bool {
		return strings.Contains(nonDigits.ReplaceAllString(strings.ReplaceAll(out, "[CREDIT_CARD]", " "), ""), "11111111111")
	}
	var leaks atomic.Int64
	eachConcurrently(len(rewritingReads), 4, func(i int) {
		cmd := strings.NewReplacer("{F}", file, "{S}", spaced, "{T}", tabbed).Replace(rewritingReads[i])
		if r := g.ssh(g.agent, nil, cmd); r.code != ExitRefused || leaked(r.stdout+r.stderr) {
			t.Errorf("%s: not refused: %+v", cmd, r)
		}
		if c := control.ssh(control.agent, nil, cmd); leaked(c.stdout) {
			leaks.Add(1)
		} else {
			t.Logf("%s: the control did not carry the card: %q", cmd, c.stdout)
		}
	})
	// A magic file sent on stdin prints the card from its second digit
	// on; a digest of the card file is the card's, reversed offline.
	magic := "0 string 4 first\n>1 string x rest=%s\n"
	sum := sha256.Sum256([]byte(transformCard + "\n"))
	digest := hex.EncodeToString(sum[:])
	for _, tc := range []struct{ stdin, cmd string }{
		{magic, "file -m /dev/stdin " + file}, {magic, "file --magic=/dev/stdin " + file}, {"", "sha256sum " + file},
		{"", "cat " + file + " | sha256sum"},
	} {
		args := append(sshArgs(g.addr, g.agent, "-p"), "--", tc.cmd)
		if r := run(t, tc.stdin, "ssh", args...); r.code != ExitRefused || leaked(r.stdout) || strings.Contains(r.stdout, digest) {
			t.Errorf("%s: not refused: %+v", tc.cmd, r)
		}
		cargs := append(sshArgs(control.addr, control.agent, "-p"), "--", tc.cmd)
		if c := run(t, tc.stdin, "ssh", cargs...); !leaked(c.stdout) && !strings.Contains(c.stdout, digest) {
			t.Errorf("%s: the control did not carry the card: %+v", tc.cmd, c)
		}
	}
	// A private key's lines in reverse order are no key to the PEM
	// reading (the client puts them back in order): tac is refused, and
	// the masker reads the body's lines as a key's too (mask/keybody.go),
	// so the control serves them masked.
	key := filepath.Join(dir, "id_rsa")
	body := "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
	pem := "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\nQWxhZGRpbjpvcGVuIHNlc2FtZQ3xZ9kLmN2bR8vT1wPqYcE5uJhG0sAaD4fI7oKe\n-----END RSA PRIVATE KEY-----\n"
	if err := os.WriteFile(key, []byte(pem), 0o600); err != nil {
		t.Fatal(err)
	}
	secretRules := strings.Replace(maskedReadRules, "mask: [pii]", "mask: [pii, secrets]", 1)
	gs := startGateway(t, up, secretRules)
	cs := startGateway(t, up, secretRules, func(c *Config) { c.AllowMaskedTransforms = true })
	if r := gs.ssh(gs.agent, nil, "tac "+key); r.code != ExitRefused || strings.Contains(r.stdout, body) {
		t.Errorf("tac of a private key: not refused: %+v", r)
	}
	if c := cs.ssh(cs.agent, nil, "tac "+key); strings.Contains(c.stdout, body) || !strings.Contains(c.stdout, "[PRIVATE_KEY]") {
		t.Errorf("tac of a private key: the control carried the key: %+v", c)
	}
	if r := gs.ssh(gs.agent, nil, "cat "+key); r.code != 0 || strings.Contains(r.stdout, body) {
		t.Errorf("cat of a private key: not masked: %+v", r)
	}
	for _, cmd := range []string{"tail --lines=1 " + file, "nl -ba " + file, "printf '%s\\n' \"$(cat " + file + ")\"", "echo $(cat " + spaced + ")"} {
		if r := g.ssh(g.agent, nil, cmd); r.code != 0 || leaked(r.stdout) || !strings.Contains(r.stdout, "[CREDIT_CARD]") {
			t.Errorf("%s: not served masked: %+v", cmd, r)
		}
	}
	t.Logf("%d of %d rewriting reads carried the card past the masker on the control gateway", leaks.Load(), len(rewritingReads))
	if leaks.Load() < int64(len(rewritingReads))*3/4 {
		t.Fatalf("only %d of %d lines carried the card on the control gateway: the probes are too weak", leaks.Load(), len(rewritingReads))
	}
}
