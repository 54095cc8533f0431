package sshgate

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// spellIPv4 writes the address a in a random inet_aton spelling: one to
// four parts, each decimal, octal or hexadecimal.
func spellIPv4(r *rand.Rand, a [4]byte) string {
	v := uint64(a[0])<<24 | uint64(a[1])<<16 | uint64(a[2])<<8 | uint64(a[3])
	n := 1 + r.IntN(4)
	var parts []uint64
	for i := 0; i < n-1; i++ {
		parts = append(parts, uint64(a[i]))
	}
	parts = append(parts, v&(1<<(32-8*uint(n-1))-1))
	out := make([]string, len(parts))
	for i, p := range parts {
		switch r.IntN(3) {
		case 0:
			out[i] = strconv.FormatUint(p, 10)
		case 1:
			out[i] = "0" + strconv.FormatUint(p, 8)
		default:
			out[i] = []string{"0x", "0X"}[r.IntN(2)] + strconv.FormatUint(p, 16)
		}
	}
	return strings.Join(out, ".")
}

// TestCanonicalHostMatchesResolver spells random IPv4 addresses as
// inet_aton reads them and checks canonicalHost against the system
// resolver (getent ahostsv4: getaddrinfo, as sshd resolves a forward's
// host): both must name the same address.
func TestCanonicalHostMatchesResolver(t *testing.T) {
	getent := gatetest.NeedTool(t, "getent")
	r := rand.New(rand.NewPCG(3, 2026))
	for i := 0; i < 300; i++ {
		a := [4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}
		if i%5 == 0 {
			a = [4]byte{127, 0, 0, byte(r.IntN(3))}
		}
		s := spellIPv4(r, a)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := exec.CommandContext(ctx, getent, "ahostsv4", s).Output()
		cancel()
		if err != nil {
			t.Fatalf("getent %s: %v", s, err)
		}
		want := strings.Fields(string(out))[0]
		if want == "0.0.0.0" {
			want = "127.0.0.1"
		}
		if got, err := canonicalHost(s); err != nil || got != want {
			t.Errorf("canonicalHost(%q) = %q, %v; the resolver reads %s", s, got, err, want)
		}
	}
}

// TestCanonicalHostSpellings covers IPv6, names and refusals.
func TestCanonicalHostSpellings(t *testing.T) {
	for in, want := range map[string]string{
		"::ffff:127.0.0.1": "127.0.0.1", "[::ffff:7f00:1]": "127.0.0.1", "::": "::1", "0.0.0.0": "127.0.0.1",
		"0": "127.0.0.1", "[::1]": "::1", "0:0:0:0:0:0:0:1": "::1", "fe80::1%eth0": "fe80::1", "LocalHost.": "localhost",
		"DB.Internal": "db.internal", "127.0.0.1.": "127.0.0.1", "10.1": "10.0.0.1",
	} {
		if got, err := canonicalHost(in); err != nil || got != want {
			t.Errorf("canonicalHost(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a b", "a\x00b", "127.0.0.1 x", "x..y", "-", "%", "a/b", strings.Repeat("a", 64) + ".b"} {
		if got, err := canonicalHost(in); err == nil && in != "-" {
			t.Errorf("canonicalHost(%q) = %q, want a refusal", in, got)
		}
	}
}

// TestForwardSpellingsOfAHostRefused opens forwards through the Go SSH
// client to an echo server on 127.0.0.1, each naming it another way, under
// a rule that allows every forward but to 127.0.0.1 and localhost. Under
// allow-all each spelling reaches the server (the control); under the rule
// none may.
func TestForwardSpellingsOfAHostRefused(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	_, port := echoServer(t)
	spellings := []string{"127.1", "127.0.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "0x7f000001", "017700000001",
		"0x7f.1", "::ffff:127.0.0.1", "LOCALHOST", "localhost.", "0.0.0.0", "0", "127.0.0.1"}
	denyLocal := testRules + `
  - name: forwards-but-local
    when: ssh.kind == "forward" && !(ssh.host in ["127.0.0.1", "localhost", "::1"])
    action: allow
`
	echoes := func(g *gateway, host string) bool {
		cl := g.goClient(t, g.agent)
		defer cl.Close()
		c, err := cl.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			return false
		}
		buf := make([]byte, 4)
		_, err = io.ReadFull(c, buf)
		return err == nil && string(buf) == "ping"
	}
	open, guarded := startGateway(t, up, allowAllRules), startGateway(t, up, denyLocal)
	live := 0
	for _, h := range spellings {
		if echoes(open, h) {
			live++
		}
		if echoes(guarded, h) {
			t.Errorf("%s: the forward reached 127.0.0.1 past a rule that excludes it", h)
		}
	}
	if live < 8 {
		t.Fatalf("only %d of %d spellings reach the server without the rule: the probe proves little", live, len(spellings))
	}
}
