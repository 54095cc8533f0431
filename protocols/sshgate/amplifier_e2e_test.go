package sshgate

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// amplifierLines are command lines of 200 KB (an SSH packet holds a
// little less than the 256 KB bound, with the request's framing) whose parse
// once cost seconds of CPU and hundreds of MB (nesting hidden from the old
// parenthesis guard by a quoted paren; arithmetic and && chains; braces).
func amplifierLines() []string {
	fill := func(prefix, open, mid, close, suffix string) string {
		n := (200<<10 - len(prefix) - len(mid) - len(suffix)) / (len(open) + len(close))
		return prefix + strings.Repeat(open, n) + mid + strings.Repeat(close, n) + suffix
	}
	return []string{
		fill("echo ", "$(echo ')' ", "x", ")", ""),
		fill("echo $((1", " + 1", "", "", "))"),
		fill("", "{ ", "ls", "; }", ""),
		fill("[[ a", " && a", "", "", " ]]"),
		fill("echo ", "${a[ ", "1", " ]}", ""),
	}
}

// sshArgsOf splits a command line into arguments the ssh client joins
// back with one space each, none longer than the kernel's bound on one
// argument (128 KB).
func sshArgsOf(cmd string) []string {
	var out []string
	for len(cmd) > 100<<10 {
		sp := strings.LastIndexByte(cmd[:100<<10], ' ')
		if sp <= 0 {
			break
		}
		out = append(out, cmd[:sp])
		cmd = cmd[sp+1:]
	}
	return append(out, cmd)
}

// TestAmplifierBystander sends the amplifiers through the gateway to a
// real sshd, two at a time, while a bystander in another session runs a
// short command: every amplifier is refused with the nesting error, quickly,
// and the bystander's command answers within a bound.
func TestAmplifierBystander(t *testing.T) {
	t.Parallel()
	g := startGateway(t, startSSHD(t), allowAllRules)
	lines := amplifierLines()
	// The bystander alone, for its ordinary latency (the slowest of three).
	var alone time.Duration
	for range 3 {
		start := time.Now()
		if r := g.ssh(g.agent, nil, "echo bystander"); r.stdout != "bystander\n" {
			t.Fatalf("bystander alone: %+v", r)
		}
		alone = max(alone, time.Since(start))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var worst time.Duration
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			r := g.ssh(g.human, nil, "echo bystander")
			worst = max(worst, time.Since(start))
			if r.stdout != "bystander\n" {
				t.Errorf("bystander: %+v", r)
			}
		}
	})
	var attackers sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, line := range lines {
		attackers.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			args := append(sshArgs(g.addr, g.agent, "-p"), "--")
			start := time.Now()
			r := run(t, "", "ssh", append(args, sshArgsOf(line)...)...)
			took := time.Since(start)
			if r.code == 0 || !strings.Contains(r.stderr, "cannot be judged") {
				t.Errorf("amplifier %d (%d bytes): exit %d, stderr %.200q", i, len(line), r.code, r.stderr)
			}
			if took > 10*time.Second {
				t.Errorf("amplifier %d took %v to judge", i, took)
			}
		})
	}
	attackers.Wait()
	close(stop)
	wg.Wait()
	if bound := alone + 2*time.Second; worst > bound {
		t.Errorf("bystander took %v while amplifiers were judged (%v alone, bound %v)", worst, alone, bound)
	}
	t.Logf("bystander: %v alone, at worst %v under %d amplifiers", alone, worst, len(lines))
}
