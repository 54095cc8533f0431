package sshgate

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// maskedNameRules allow exec and mask e-mail addresses, cards and social
// security numbers in everything it prints.
const maskedNameRules = execAllowed + `
  - name: mask-pii
    when: ssh.kind == "exec"
    mask: [email, credit_card, ssn]
`

// maskedOrderNames are file names the masker hides, each with the length
// of its head a decoy may copy and still not be masked itself (before
// the @ of an address, eight digits of a card, three of a number).
var maskedOrderNames = []struct {
	name string
	head int
}{
	{"alice.smith@example.com", 11}, {"zoe.quinn@example.org", 9}, {"mark-4111111111111111.csv", 13},
	{"4111111111111111", 8}, {"ssn-123-45-6789.txt", 7},
}

// orderProbes list a directory's names, or what its files hold, in an
// order taken from the names: sorted listings, their first or last line,
// globs (the shell sorts what they match), ties of other orders broken
// by name. {D} is the directory.
var orderProbes = []string{
	"ls {D}", "ls -l {D}", "ls -la {D}", "ls -1 {D} | head -n 1", "ls {D} | tail -n 1", "ls -r {D}", "ls -t {D}",
	"ls -S {D}", "ls -X {D}", "ls -v {D}", "ls --sort=size {D}", "ls -U -t {D}", "ls -f -t {D}", "ls -C {D}",
	"ls -m {D}", "ls -x {D}", "dir {D}", "ls -R {D}", "cd {D} && ls", "ls {D}/ | nl", "ls -ltr {D} | head -n 3",
	"echo {D}/*", "printf '%s\\n' {D}/*", "for f in {D}/*; do echo $f; done", "cat {D}/*", "ls -d {D}/*",
	"ls -U {D}/*", "wc -c {D}/*", "head -n1 {D}/*", "stat -c %n {D}/*", "cd {D} && echo *", "du -a {D}/*",
	"file {D}/*", "sudo ls {D}", "timeout 5 ls -1 {D} | head -n1", "ls -s --sort=v {D}", "ls --so=time {D}",
}

// unsortedProbes list names in the order the directory holds them,
// which the file system takes from a hash of the names: refused under
// masking too (maskedlayout_e2e_test.go shows what they told); ls -d
// lists only its operand and stays allowed.
var unsortedProbes = []string{"ls -U {D}", "ls -f {D}", "ls -lU {D}", "ls --sort=none {D}", "find {D}", "du -a {D}",
	"ls -d {D}", "ls -U {D} | head -n 1", "ls -lU {D} | wc -l"}

// TestMaskedNamesNoOrderOracle: a directory holds a file named by a
// value the masker hides and a decoy the client chose, a prefix of the
// hidden name with its next character one below or one above the real
// one (same size, same modification time). For each masked name, a seeded
// random position and each probe that lists names in their sorted order
// (orderProbes), the command is run through the gateway and a real sshd
// with either decoy: what the client gets (the decoy's own name put
// aside) must be the same, or a binary search spells the hidden name out
// a character at a time. Listings in the directory's own order are
// refused as well; ls -d of the directory stays allowed.
func TestMaskedNamesNoOrderOracle(t *testing.T) {
	t.Parallel()
	g := startGateway(t, startSSHD(t), maskedNameRules)
	rng := rand.New(rand.NewPCG(4, 1))
	type pair struct {
		name   string
		dirs   [2]string // decoy below, decoy above
		decoys [2]string
	}
	var pairs []pair
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, m := range maskedOrderNames {
		{
			k := 1 + rng.IntN(m.head-1)
			var p pair
			p.name = m.name
			for v, delta := range []byte{0xff, 1} { // -1 and +1
				c := m.name[k] + delta
				if m.name[k] >= '0' && m.name[k] <= '9' && (c < '0' || c > '9') || c < '-' || c > 'z' {
					c = m.name[k] - delta // stay a name character
				}
				p.decoys[v] = m.name[:k] + string(c)
				dir := filepath.Join(t.TempDir(), "d")
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for _, f := range []struct{ name, data string }{{m.name, "M\n"}, {p.decoys[v], "D\n"}} {
					path := filepath.Join(dir, f.name)
					if err := os.WriteFile(path, []byte(f.data), 0o644); err != nil {
						t.Fatal(err)
					}
					if err := os.Chtimes(path, when, when); err != nil {
						t.Fatal(err)
					}
				}
				p.dirs[v] = dir
			}
			pairs = append(pairs, p)
		}
	}
	answer := func(probe, dir, decoy string) (string, result) {
		r := g.ssh(g.agent, []string{"-T"}, strings.ReplaceAll(probe, "{D}", dir))
		// The decoy as a name of its own, not inside a word of the reply.
		alone := regexp.MustCompile(`(^|[^A-Za-z0-9._@-])` + regexp.QuoteMeta(decoy) + `($|[^A-Za-z0-9._@-])`)
		norm := func(s string) string {
			return alone.ReplaceAllString(strings.ReplaceAll(s, dir+"/", "{D}/"), "${1}{P}${2}")
		}
		return norm(r.stdout) + "\x00" + norm(r.stderr) + "\x00" + fmt.Sprint(r.code), r
	}
	var probes, leaks, revealed atomic.Int64
	eachConcurrently(len(orderProbes)*len(pairs), 6, func(i int) {
		probe, p := orderProbes[i%len(orderProbes)], pairs[i/len(orderProbes)]
		var ans [2]string
		for v := range 2 {
			a, r := answer(probe, p.dirs[v], p.decoys[v])
			ans[v] = a
			if strings.Contains(r.stdout+r.stderr, p.name) {
				revealed.Add(1)
				t.Errorf("%s: the masked name %s reached the client", probe, p.name)
			}
		}
		probes.Add(1)
		if ans[0] != ans[1] {
			leaks.Add(1)
			t.Errorf("%s: the answer tells where %s sorts against %s/%s:\n below %q\n above %q", probe, p.name, p.decoys[0], p.decoys[1], ans[0], ans[1])
		}
	})
	t.Logf("%d of %d order probes answered differently for a decoy below and above a masked name", leaks.Load(), probes.Load())
	eachConcurrently(len(unsortedProbes), 4, func(i int) {
		p := pairs[0]
		cmd := strings.ReplaceAll(unsortedProbes[i], "{D}", p.dirs[0])
		r := g.ssh(g.agent, []string{"-T"}, cmd)
		if strings.Contains(r.stdout+r.stderr, p.name) {
			t.Errorf("%s: the masked name reached the client: %+v", cmd, r)
		}
		if operand := strings.HasPrefix(unsortedProbes[i], "ls -d"); operand != (r.code == 0) || !operand && r.code != ExitRefused {
			t.Errorf("%s: want ls -d served and every other listing refused: %+v", cmd, r)
		}
	})
}

// notationProbes print the names of a directory cut (a format's
// precision), padded, or in a notation that leaves pieces of an accented
// name bare (ls -q, shell-escape quoting, set through an option or the
// QUOTING_STYLE variable in any way the shell sets one). {D} is the
// directory.
var notationProbes = []string{
	"find {D} -printf '%.5f\\n'", "find {D} -printf '%.9f\\n'", "find {D} -printf '%5.3f\\n'", "cd {D} && find . -printf '%.6P\\n'",
	"find {D} -fprintf /dev/stdout '%.4f\\n'", "find {D} -maxdepth 1 -printf '%-40f|\\n'", "ls -qU {D}", "ls -Uq {D}", "dir -q -U {D}",
	"ls -U --hide-control-chars {D}", "ls -U --hide-con {D}", "ls -U --quoting-style=shell-escape {D}", "ls -U --quoting-style shell-escape-always {D}",
	"ls -U --quoting=shell-escape {D}", "QUOTING_STYLE=shell-escape ls -U {D}", "env QUOTING_STYLE=shell-escape ls -U {D}",
	"export QUOTING_STYLE=shell-escape; ls -U {D}", "export QUOTING\"_STYLE\"=shell-escape; ls -U {D}",
	"printf -v QUOTING_STYLE shell-escape; export QUOTING_STYLE; ls -U {D}", "QUOTING_STYLE=shell-escape-always; export QUOTING_STYLE; ls -f {D}",
	"sudo ls -qU {D}", "timeout 5 find {D} -printf '%.7f\\n'",
}

// TestMaskedNamesNeverCutOrEscaped: a directory holds names the masker
// hides, one with accented letters in its address. For each probe that
// prints names cut, padded or escaped (notationProbes), no piece of a
// hidden name (four characters in a row of the part before its @, or of
// its digits) reaches the client, and the probe is refused. Names in
// ls's own notation, of files the client names, stay allowed and masked.
func TestMaskedNamesNeverCutOrEscaped(t *testing.T) {
	t.Parallel()
	g := startGateway(t, startSSHD(t), maskedNameRules)
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	hidden := map[string]string{ // name: its part a piece of which must not show
		"alice.smith@example.com": "alice.smith", "josé.garcía@example.com": "josé.garcía", "4111111111111111": "4111111111111111",
		"mark-5555555555554444.csv": "5555555555554444",
	}
	for n := range hidden {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var probes, leaks atomic.Int64
	eachConcurrently(len(notationProbes), 6, func(i int) {
		cmd := strings.ReplaceAll(notationProbes[i], "{D}", dir)
		r := g.ssh(g.agent, []string{"-T"}, cmd)
		out := strings.ReplaceAll(r.stdout+r.stderr, dir, "{D}")
		probes.Add(1)
		leaked := ""
		for _, part := range hidden {
			for j := 0; j+4 <= len(part) && leaked == ""; j++ {
				if p := part[j : j+4]; strings.Contains(out, p) {
					leaked = p
				}
			}
		}
		if leaked != "" {
			leaks.Add(1)
			t.Errorf("%s: a piece of a masked name (%q) reached the client: %q", notationProbes[i], leaked, out)
		}
		if r.code != ExitRefused {
			t.Errorf("%s: not refused: %+v", notationProbes[i], r)
		}
	})
	t.Logf("%d of %d probes printed a piece of a masked name", leaks.Load(), probes.Load())
	for _, ok := range []string{"ls -d {D}/alice.smith@example.com", "ls -bd {D}/josé.garcía@example.com", "ls -d --quoting-style=c {D}/alice.smith@example.com",
		"ls -d --quoting-style=escape {D}/alice.smith@example.com", "find {D}/alice.smith@example.com -maxdepth 0 -printf '%f\\n'"} {
		cmd := strings.ReplaceAll(ok, "{D}", dir)
		r := g.ssh(g.agent, []string{"-T"}, cmd)
		if r.code != 0 || strings.Contains(r.stdout, "alice") || strings.Contains(r.stdout, "garc") || !strings.Contains(r.stdout, "[EMAIL]") {
			t.Errorf("%s: not served masked: %+v", ok, r)
		}
	}
}
