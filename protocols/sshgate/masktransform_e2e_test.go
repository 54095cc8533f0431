package sshgate

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// maskedReadRules allow exec and ask for every result to be masked (cards).
const maskedReadRules = execAllowed + `
  - name: shells
    when: ssh.kind == "shell"
    action: allow
  - name: mask-cards
    when: ssh.kind == "exec" || ssh.kind == "shell"
    mask: [pii]
`

// transformCard is the card the transform probes' file holds.
const transformCard = "4111111111111111"

// cardTransforms are command lines that print the probe file's card in a
// form the output masker does not read as a card, each with what undoes
// it on the client's side.
var cardTransforms = []struct {
	cmd  string
	undo func(string) string
}{
	{"base64 F", b64}, {"base64 -w0 F", b64}, {"base32 F", nil}, {"basenc --base16 F", unhex},
	{"xxd -p F", unhex}, {"od -An -tx1 F", unhex}, {"hexdump -v -e '/1 \"%02x\"' F", unhex},
	{"rev F", reverse}, {"tr 0-9 a-j < F", untr}, {"cat F | tr 0-9 a-j", untr}, {"sed 's/1/x/g' F", func(s string) string { return strings.ReplaceAll(s, "x", "1") }},
	{"awk '{print $1+1}' F", nil}, {"cut -c1-8 F; cut -c9-16 F", join}, {"head -c 8 F; echo; tail -c +9 F", join},
	{"fold -w 4 F", join}, {"gzip -c F | base64", nil}, {"dd if=F bs=1 count=8 status=none; echo; dd if=F bs=1 skip=8 status=none", join},
	{"grep -o '^.\\{8\\}' F; grep -o '.\\{8\\}$' F", join}, {"sort F | rev", reverse}, {"cat F | base64", b64},
	{"xargs printf '%x\\n' < F", nil}, {"paste -d, <(cut -c1-8 F) <(cut -c9-16 F)", join},
}

func b64(s string) string {
	b, _ := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	return string(b)
}
func unhex(s string) string {
	b, _ := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	return string(b)
}
func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
func untr(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'j' {
			return '0' + r - 'a'
		}
		return r
	}, s)
}
func join(s string) string { return regexp.MustCompile(`[^0-9]`).ReplaceAllString(s, "") }

// TestMaskedOutputNeverTransformed: under a decision that masks results, a
// command that encodes, reverses, translates, compresses or cuts the bytes
// of what it reads is refused, so no card reaches the client in any form
// (what the client received is decoded as each transform undoes); the
// plain read of the same file is masked. The control gateway, with
// masking but without the refusal, shows that the transforms do carry
// the card past the masker.
func TestMaskedOutputNeverTransformed(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "cards.txt")
	if err := os.WriteFile(file, []byte(transformCard+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, up, maskedReadRules)
	if r := g.ssh(g.agent, nil, "cat "+file); strings.Contains(r.stdout, transformCard) || r.code != 0 || !strings.Contains(r.stdout, "CREDIT_CARD") {
		t.Fatalf("plain read: %+v", r)
	}
	control := startGateway(t, up, maskedReadRules, func(c *Config) { c.AllowMaskedTransforms = true })
	var leaks atomic.Int64
	eachConcurrently(len(cardTransforms), 4, func(i int) {
		tc := cardTransforms[i]
		cmd := strings.ReplaceAll(tc.cmd, "F", file)
		r := g.ssh(g.agent, nil, cmd)
		got := r.stdout
		if tc.undo != nil {
			got += "\n" + tc.undo(r.stdout)
		}
		if strings.Contains(got, transformCard) {
			t.Errorf("%s: the card reached the client: %+v", cmd, r)
		}
		if r.code != ExitRefused {
			t.Errorf("%s: not refused: %+v", cmd, r)
		}
		c := control.ssh(control.agent, nil, cmd)
		if tc.undo != nil && strings.Contains(tc.undo(c.stdout), transformCard) {
			leaks.Add(1)
		}
	})
	// A search or a comparison tells the card a piece at a time: grep -c
	// prints 1 for the right prefix, test's exit status says yes.
	oracles := []struct {
		cmd      string
		tellsYes func(result) bool
	}{
		{"grep -c '^4111111111111111$' " + file, func(r result) bool { return strings.TrimSpace(r.stdout) == "1" }},
		{"grep -q '^41' " + file, func(r result) bool { return r.code == 0 }},
		{"test \"$(cat " + file + ")\" = " + transformCard, func(r result) bool { return r.code == 0 }},
		{"case $(cat " + file + ") in 41*) echo yes;; esac", func(r result) bool { return strings.Contains(r.stdout, "yes") }},
		{"(cat " + file + "; echo 4000000000000000) | sort | head -n 1", func(r result) bool { return strings.Contains(r.stdout, "4000000000000000") }},
	}
	eachConcurrently(len(oracles), 4, func(i int) {
		o := oracles[i]
		if r := g.ssh(g.agent, nil, o.cmd); r.code != ExitRefused {
			t.Errorf("%s: not refused: %+v", o.cmd, r)
		}
		if c := control.ssh(control.agent, nil, o.cmd); !o.tellsYes(c) {
			t.Errorf("%s: the control did not answer the guess: %+v", o.cmd, c)
		}
	})
	// An interactive shell runs lines the gate never judges: under a
	// masking decision it is refused; the control's shell carries the
	// card through tr.
	shellArgs := func(gw *gateway) []string { return append([]string{"-tt"}, sshArgs(gw.addr, gw.agent, "-p")...) }
	lines := "stty -echo; tr 0-9 a-j < " + file + "; exit\n"
	if r := run(t, lines, "ssh", shellArgs(g)...); r.code != ExitRefused || strings.Contains(untr(r.stdout), transformCard) {
		t.Errorf("masked shell not refused: %+v", r)
	}
	if r := run(t, lines, "ssh", shellArgs(control)...); !strings.Contains(untr(r.stdout), transformCard) {
		t.Errorf("control shell: the card did not come through tr: %+v", r)
	}
	t.Logf("%d of %d transforms carried the card past the masker on the control gateway", leaks.Load(), len(cardTransforms))
	// The masker reads base64, hex (also as a list of bytes, as od prints
	// it) and digits split across lines itself (mask's encoded runs, code
	// lists and joins); what it cannot read by design is a substitution of
	// the digits: tr (twice) and sed must carry the card past it on the
	// control.
	if leaks.Load() < 3 {
		t.Fatalf("only %d transforms carried the card past the masker on the control gateway: the probes are too weak", leaks.Load())
	}
}
