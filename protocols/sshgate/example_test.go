package sshgate_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/protocols/sshgate"
	"github.com/airlock-sdk/airlock/record"
	xssh "golang.org/x/crypto/ssh"
)

// A gateway in front of one host: agents authenticate with their own keys,
// the gateway logs in upstream with its own key and checks the host key.
func ExampleNew() {
	rules, err := gate.ParseRules("rules.yaml", []byte(`
default: deny
rules:
  - name: read-only-tools
    when: >
      ssh.kind == "exec" && ssh.read_only &&
      ssh.programs.all(p, p in ["ls", "cat", "grep", "head", "tail", "df", "uptime"])
    action: allow
  - name: sftp-read
    when: ssh.kind == "subsystem" || (ssh.kind == "sftp" && ssh.read_only)
    action: allow
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	g := gate.New(gate.Config{Rules: rules, Recorder: &record.Memory{}})

	newSigner := func() xssh.Signer {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		s, _ := xssh.NewSignerFromKey(priv)
		return s
	}
	agentKey := newSigner().PublicKey() // in practice: LoadAuthorizedKeys
	keys := &sshgate.AuthorizedKeys{}
	keys.Add(agentKey, gate.Identity{Subject: "build-agent", Kind: gate.KindAgent})
	// Agents with their own keys, or with certificates of the company CA.
	ca := &sshgate.CertAuthority{Keys: []xssh.PublicKey{newSigner().PublicKey()}}
	upstreamHostKey := newSigner().PublicKey() // in practice: knownhosts.New

	p, err := sshgate.New(sshgate.Config{
		Gate:          g,
		HostKeys:      []xssh.Signer{newSigner()},
		Authenticator: gate.FirstOf(keys, ca),
		Upstream: sshgate.Upstream{
			Addr: "10.0.0.7:22", User: "deploy", Signer: newSigner(),
			HostKeyCallback: xssh.FixedHostKey(upstreamHostKey),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a real gateway serves until shutdown
	fmt.Println(p.Serve(ctx, l))

	_, err = sshgate.New(sshgate.Config{Gate: g})
	fmt.Println(err)
	// Output:
	// context canceled
	// sshgate: Config.HostKeys is required
}
