package sshgate

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// maskedTwins are pairs of values of one kind the masker hides, unlike in
// value and, for some, in length: a listing or a count that answers
// differently for the two tells the client something of a hidden value.
var maskedTwins = [][2]string{
	{"alice.smith@example.com", "bo@example.org"}, {"zoe.quinn@example.org", "zoe.quincy@example.org"},
	{"4111111111111111", "5555555555554444"}, {"mark-4111111111111111.csv", "mark-5555555555554444.csv"},
}

// twinProbes list a directory's names in the file system's order (ext4
// and XFS: a hash of each name), or count, pad or lay out a masked value
// by its length. {D} is the directory; {D}/v holds the masked value.
var twinProbes = []string{
	"ls -U {D}", "ls -f {D}", "ls --sort=none {D}", "ls -1U {D} | head -n 4", "ls -lU {D} | tail -n 3", "find {D}", "find {D} -type f",
	"find {D} -mindepth 1 -printf '%i\\n'", "du -a {D}", "du -ab {D} | head -n 5", "find {D} -exec cat {} +", "ls -U -C -w 120 {D}",
	"ls -U -x -w 120 {D}", "cat {D}/v | wc -c", "wc -c {D}/v", "wc {D}/v", "wc -L {D}/v", "wc -m < {D}/v",
	"printf '%-40s|\\n' \"$(cat {D}/v)\"", "printf '%50s|\\n' \"$(cat {D}/v)\"", "ls -d {D}/* | wc -c", "cp -rv {D} {D}.copy",
	// Sizes: the length of the file that holds the masked value.
	"stat {D}/v", "stat -c %s {D}/v", "stat --printf='%s\\n' {D}/v", "stat -t {D}/v", "ls -l {D}/v", "ls -ld {D}/v", "ls -s --block-size=1 {D}/v",
	"du -b {D}/v", "du --apparent-size -B1 {D}/v", "find {D}/v -printf '%s\\n'", "find {D}/v -size -20c", "find {D}/v -ls",
}

// twinServed are asked the same way and must be served, masked, with the
// same answer for both twins.
var twinServed = []string{"ls -d {D}", "du -s {D}", "stat -c '%n %A' {D}/v", "du -s {D}/v", "wc -l {D}/v", "cat {D}/v", "find {D} -maxdepth 0", "printf '%s\\n' \"$(cat {D}/v)\""}

// TestMaskedTwinsAnswerAlike: for each pair of masked twins, two
// directories hold the same twenty decoys (same names, contents and
// times) and one twin each, as a file name and in the file v. Each probe
// of twinProbes, through the gateway and a real sshd, must answer both
// alike (the directory put aside): before, ls -U, find and du -a placed
// the masked name among the decoys by its hash, and wc -c, wc -L and
// printf %-40s counted or padded it by its length: 58 of 88 probes
// answered differently. Each is refused now; the commands of twinServed
// are served masked and alike. The size probes, added later: stat, stat
// -c %s, --printf, -t and ls -ld were served, and 14 of their 48 answers
// told the twins apart by the length of v; 0 now.
func TestMaskedTwinsAnswerAlike(t *testing.T) {
	t.Parallel()
	g := startGateway(t, startSSHD(t), maskedNameRules)
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// The directories' paths hold no digits, which the masker could take
	// for part of a value (t.TempDir's do).
	root := filepath.Join(os.TempDir(), "airlock-twins-"+strings.Map(func(r rune) rune { return 'a' + r%26 }, fmt.Sprint(time.Now().UnixNano())))
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	dirs := make([][2]string, len(maskedTwins))
	for i, twins := range maskedTwins {
		for v, name := range twins {
			dir := filepath.Join(root, string(rune('a'+i)), string(rune('a'+v)))
			if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
				t.Fatal(err)
			}
			files := map[string]string{name: "M\n", "v": name + "\n"}
			for k := range 20 {
				files[fmt.Sprintf("decoy-%02d.txt", k)] = "D\n"
			}
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for f, data := range files {
				path := filepath.Join(dir, f)
				if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(path, when, when); err != nil {
					t.Fatal(err)
				}
			}
			dirs[i][v] = dir
		}
	}
	answer := func(probe, dir string) (string, result) {
		r := g.ssh(g.agent, []string{"-T"}, strings.ReplaceAll(probe, "{D}", dir))
		norm := func(s string) string { return strings.ReplaceAll(s, dir, "{D}") }
		return norm(r.stdout) + "\x00" + norm(r.stderr) + "\x00" + fmt.Sprint(r.code), r
	}
	var probes, differ atomic.Int64
	eachConcurrently(len(twinProbes)*len(maskedTwins), 6, func(i int) {
		probe, k := twinProbes[i%len(twinProbes)], i/len(twinProbes)
		var ans [2]string
		for v := range 2 {
			a, r := answer(probe, dirs[k][v])
			ans[v] = a
			if strings.Contains(r.stdout+r.stderr, maskedTwins[k][v]) {
				t.Errorf("%s: the masked value %s reached the client", probe, maskedTwins[k][v])
			}
			if r.code != ExitRefused {
				t.Errorf("%s: not refused under masking: %+v", probe, r)
			}
		}
		probes.Add(1)
		if ans[0] != ans[1] {
			differ.Add(1)
			t.Errorf("%s: answers differ for %s and %s:\n %q\n %q", probe, maskedTwins[k][0], maskedTwins[k][1], ans[0], ans[1])
		}
	})
	t.Logf("%d of %d probes answered differently for two masked twins", differ.Load(), probes.Load())
	for _, probe := range twinServed {
		for k := range maskedTwins {
			a0, r0 := answer(probe, dirs[k][0])
			a1, r1 := answer(probe, dirs[k][1])
			if r0.code != 0 || r1.code != 0 || a0 != a1 || strings.Contains(r0.stdout, maskedTwins[k][0]) {
				t.Errorf("%s: not served masked and alike: %+v %+v", probe, r0, r1)
			}
		}
	}
}

// TestMaskedProcessesNeverCutOrOrdered: a process runs with a command line
// holding an e-mail address and a card the masker hides. Each probe that
// cuts command lines to a width (ps -o args:20, --cols, COLUMNS, a text
// column before the last), sorts by them or lists units or journal
// fields by their text is refused through the gateway and a real sshd,
// and no piece of a hidden value (four characters in a row) reaches the
// client (before: 7 of 13 probes printed a piece of the address or the
// card); ps aux and ps -eo pid,args are served masked.
func TestMaskedProcessesNeverCutOrOrdered(t *testing.T) {
	t.Parallel()
	g := startGateway(t, startSSHD(t), maskedNameRules)
	marker := fmt.Sprintf("airlock-worker-%05d", time.Now().UnixNano()%100000)
	cmd := exec.Command("bash", "-c", "exec -a '"+marker+" --owner carol.jones@example.com --card 4111111111111111' sleep 120")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(200 * time.Millisecond)
	hidden := []string{"carol.jones", "4111111111111111"}
	// The command line reads "airlock-worker-NNNNN --owner carol.jones@...
	// --card 4111..." : a cut at 35 characters ends inside the address,
	// one at 70 inside the card.
	probes := []string{"ps -eo args:35,pid", "ps -eo args:70,pid", "ps -eo pid,cmd:70,pid", "ps --cols 41 -eo pid,args",
		"ps --cols 76 -eo pid,args", "COLUMNS=41 ps -eo pid,args", "COLUMNS=76 ps -eo pid,args", "ps -eo args,pid",
		"ps --sort=args -eo pid,args", "ps axk args", "ps -eO args", "systemctl list-units", "journalctl -F _CMDLINE"}
	var leaks atomic.Int64
	eachConcurrently(len(probes), 4, func(i int) {
		r := g.ssh(g.agent, []string{"-T"}, probes[i])
		out := r.stdout + r.stderr
		for _, h := range hidden {
			for j := 0; j+4 <= len(h); j++ {
				if strings.Contains(out, h[j:j+4]) && strings.Contains(out, marker) {
					leaks.Add(1)
					t.Errorf("%s: a piece of %s (%q) reached the client", probes[i], h, h[j:j+4])
					return
				}
			}
		}
		if r.code != ExitRefused {
			t.Errorf("%s: not refused: %+v", probes[i], r)
		}
	})
	t.Logf("%d of %d process probes leaked a piece of a masked value", leaks.Load(), len(probes))
	for _, ok := range []string{"ps aux", "ps -eo pid,args", "ps -ef"} {
		r := g.ssh(g.agent, []string{"-T"}, ok)
		if r.code != 0 || !strings.Contains(r.stdout, marker) || strings.Contains(r.stdout, "carol.jones") || strings.Contains(r.stdout, "4111111111111111") {
			t.Errorf("%s: not served masked: code %d", ok, r.code)
		}
	}
}
