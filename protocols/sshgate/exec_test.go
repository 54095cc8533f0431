package sshgate

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
)

func TestExecThroughGateway(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)

	r := g.ssh(g.agent, nil, "echo hello; echo oops >&2; printf 'a b\\n' | cat")
	if r.code != 0 || r.stdout != "hello\na b\n" || r.stderr != "oops\n" {
		t.Fatalf("exec: %+v", r)
	}
	r = g.ssh(g.agent, nil, "sh -c 'exit 3'")
	if r.code != 3 {
		t.Fatalf("exit status not forwarded: %+v", r)
	}
	// A signal kills the upstream process: ssh reports 255 for exit-signal.
	r = g.ssh(g.agent, nil, "sh -c 'kill -TERM $$'")
	if r.code != 255 {
		t.Fatalf("exit-signal not forwarded: %+v", r)
	}
	// stdin reaches the command, and EOF (half-close) ends it.
	args := append(sshArgs(g.addr, g.agent, "-p"), "--", "wc -c")
	r = run(t, strings.Repeat("x", 100000), "ssh", args...)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "100000" {
		t.Fatalf("stdin: %+v", r)
	}

	// The record holds the decision, the output and the exit status.
	var sawExit bool
	for _, e := range g.events(gate.EventOutput) {
		if e.Output.Final && e.Output.ExitStatus != nil && *e.Output.ExitStatus == 3 {
			sawExit = true
		}
	}
	if !sawExit {
		t.Fatal("exit status 3 not recorded")
	}
}

func TestExecEnvAllowList(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	r := g.ssh(g.agent, []string{"-o", "SetEnv=FOO=leaked LANG=C.UTF-8"}, `echo "[$FOO][$LANG]"`)
	if r.code != 0 || r.stdout != "[][C.UTF-8]\n" {
		t.Fatalf("env: %+v", r)
	}
}

// TestEvasionSuite spells a destructive command in every way the parser
// must see through, against a real sshd. The victim directory must survive.
func TestEvasionSuite(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	victim := filepath.Join(t.TempDir(), "xyz-victim")
	if err := os.MkdirAll(filepath.Join(victim, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	v := victim
	cases := []string{
		"rm -rf " + v,
		"r''m -rf " + v,
		`r""m -rf ` + v,
		`\rm -rf ` + v,
		"/bin/rm -rf " + v,
		"/usr/bin/../bin/rm -rf " + v,
		"command rm -rf " + v,
		"command -p rm -rf " + v,
		"builtin command rm -rf " + v,
		"env rm -rf " + v,
		"env -i PATH=/bin rm -rf " + v,
		"env -S 'rm -rf " + v + "'",
		"echo " + v + " | xargs rm -rf",
		"echo " + v + " | xargs -0 -n1 rm -rf",
		"busybox rm -rf " + v,
		"$(echo rm) -rf " + v,
		"`echo rm` -rf " + v,
		"X=rm; $X -rf " + v,
		"${X:-rm} -rf " + v,
		"bash -c \"rm -rf " + v + "\"",
		"sh -c 'sh -c \"rm -rf " + v + "\"'",
		"bash -lc 'true && rm -rf " + v + "'",
		"echo cm0gLXJmIC90bXAveHl6 | base64 -d | sh",
		"echo rm -rf " + v + " | bash",
		"echo ok\nrm -rf " + v,
		"echo ok; rm -rf " + v,
		"true && rm -rf " + v,
		"false || rm -rf " + v,
		"(rm -rf " + v + ")",
		"{ rm -rf " + v + "; }",
		"echo $(rm -rf " + v + ")",
		"echo \"$(rm -rf " + v + ")\"",
		"cat <(rm -rf " + v + ")",
		"f() { rm -rf " + v + "; }; f",
		"find " + v + " -delete",
		"find " + v + " -exec rm -rf {} +",
		"sudo rm -rf " + v,
		"nice -n 5 rm -rf " + v,
		"timeout 5 rm -rf " + v,
		"nohup rm -rf " + v,
		"exec rm -rf " + v,
		"eval 'rm -rf " + v + "'",
		"$'\\x72\\x6d' -rf " + v,
		"/bin/r[m] -rf " + v,
		"/bin/r? -rf " + v,
		"{rm,-rf," + v + "}",
		"python3 -c 'import shutil; shutil.rmtree(\"" + v + "\")'",
		"perl -e 'system(\"rm -rf " + v + "\")'",
		"node -e 'require(\"fs\").rmSync(\"" + v + "\", {recursive: true})'",
		"awk 'BEGIN { system(\"rm -rf " + v + "\") }'",
		"bash <<EOF\nrm -rf " + v + "\nEOF",
		"bash <<< 'rm -rf " + v + "'",
		"sh",
		"PATH=/tmp/evil ls",
		"LD_PRELOAD=/tmp/evil.so ls",
		"trap 'rm -rf " + v + "' EXIT",
		"if (",
		"echo 'unterminated",
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 6)
	for _, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := g.ssh(g.agent, nil, c)
			if r.code != ExitRefused || !strings.Contains(r.stderr, "airlock:") {
				t.Errorf("not refused: %q: %+v", c, r)
			}
		}()
	}
	wg.Wait()
	if _, err := os.Stat(filepath.Join(victim, "sub")); err != nil {
		t.Fatal("victim destroyed")
	}
	// Every refusal is a recorded decision.
	denied := 0
	for _, e := range g.events(gate.EventDecision) {
		if e.Decision.Action == gate.Deny {
			denied++
		}
	}
	if denied < len(cases) {
		t.Fatalf("recorded %d denials for %d refused commands", denied, len(cases))
	}
}

// TestExecHeldForReview: a command a rule holds waits inside the gateway
// until a human approves it, then runs; a denied one never runs.
func TestExecHeldForReview(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	dir := letterDir(t)
	for _, approve := range []bool{true, false} {
		file := filepath.Join(dir, fmt.Sprint("reviewed-", approve))
		done := make(chan result, 1)
		go func() { done <- g.ssh(g.agent, nil, "touch "+file) }()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		p, err := g.approver.WaitPending(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if p.Request.Command != "touch "+file {
			t.Fatalf("held command %q", p.Request.Command)
		}
		reviewer := gate.Identity{Subject: "bob", Kind: gate.KindHuman}
		if approve {
			_, err = g.approver.Approve(context.Background(), p.ID, reviewer, "ok")
		} else {
			_, err = g.approver.Deny(context.Background(), p.ID, reviewer, "no")
		}
		if err != nil {
			t.Fatal(err)
		}
		r := <-done
		_, statErr := os.Stat(file)
		if approve && (r.code != 0 || statErr != nil) {
			t.Fatalf("approved command did not run: %+v %v", r, statErr)
		}
		if !approve && (r.code != ExitRefused || statErr == nil) {
			t.Fatalf("denied command ran: %+v", r)
		}
	}
}

// TestRecordLimit: output beyond the recording bound still reaches the
// client; the record holds the bound and says it was truncated.
func TestRecordLimit(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, testRules, func(c *Config) { c.RecordLimit = 1000 })
	r := g.ssh(g.agent, nil, "head -c 100000 /dev/zero | tr '\\0' a")
	if r.code != 0 || len(r.stdout) != 100000 {
		t.Fatalf("client got %d bytes: code %d %s", len(r.stdout), r.code, r.stderr)
	}
	recorded, truncated := 0, 0
	for _, e := range g.events(gate.EventOutput) {
		recorded += len(e.Output.Data)
		if e.Output.Truncated {
			truncated++
		}
	}
	if recorded != 1000 || truncated != 1 {
		t.Fatalf("recorded %d bytes, %d truncation markers", recorded, truncated)
	}
}

// letterDir is a temporary directory whose path holds no digits: the
// random digits of t.TempDir can look like a US SSN, which the gate masks
// in what it shows a reviewer.
func letterDir(t *testing.T) string {
	t.Helper()
	name := make([]byte, 12)
	for i := range name {
		name[i] = byte('a' + rand.IntN(26))
	}
	dir := filepath.Join(os.TempDir(), "airlock-review-"+string(name))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
