// Command sshgateway is an SSH gateway in front of one host: agents connect
// to it with their own keys, the gateway logs in upstream with a key only it
// holds, and every command, sftp operation and forward is judged by a rule
// file and recorded.
//
//	sshgateway -listen :2222 -upstream db1:22 -upstream-user deploy \
//	    -upstream-key /etc/airlock/upstream_ed25519 -known-hosts /etc/airlock/known_hosts \
//	    -host-key /etc/airlock/gateway_host_ed25519 -authorized-keys /etc/airlock/agents.pub \
//	    -rules /etc/airlock/rules.yaml -record-dir /var/log/airlock
//
// Then: ssh -p 2222 agent@gateway 'ls -la /srv'
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"github.com/airlock-sdk/airlock/internal/gctune"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/airlock-sdk/airlock/gate"
	sshgw "github.com/airlock-sdk/airlock/protocols/sshgate"
	"github.com/airlock-sdk/airlock/record"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func main() {
	// The collector set for a gateway's load (GOGC 400 under a soft memory
	// limit) unless GOGC or GOMEMLIMIT is set; an embedding program chooses
	// its own.
	gctune.Apply()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "sshgateway:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:2222", "address to accept SSH clients on")
	upstream := flag.String("upstream", "", "upstream SSH server, host:port (required)")
	upstreamUser := flag.String("upstream-user", "", "user to log in upstream as (default: the client's user name)")
	upstreamKey := flag.String("upstream-key", "", "private key the gateway logs in upstream with (required)")
	knownHosts := flag.String("known-hosts", "", "known_hosts file with the upstream's host key")
	pinned := flag.String("upstream-host-key", "", "file holding the upstream's public host key (alternative to -known-hosts)")
	hostKey := flag.String("host-key", "", "the gateway's own host key (default: a new key per run)")
	authorized := flag.String("authorized-keys", "", "authorized_keys file of agents (comment = identity)")
	humans := flag.String("human-keys", "", "authorized_keys file of humans")
	caKeys := flag.String("user-ca", "", "file of trusted user CA public keys (certificates)")
	rulesFile := flag.String("rules", "", "rule file (required)")
	recordDir := flag.String("record-dir", "", "directory for the session record (record.jsonl); empty records nothing")
	recordInput := flag.Bool("record-input", false, "record what clients type into shells")
	verbose := flag.Bool("v", false, "log debug output")
	flag.Parse()

	if *upstream == "" || *upstreamKey == "" || *rulesFile == "" {
		flag.Usage()
		return errors.New("-upstream, -upstream-key and -rules are required")
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "sshgateway", Level: hclog.Info})
	if *verbose {
		log.SetLevel(hclog.Debug)
	}

	rules, err := gate.LoadRules(*rulesFile)
	if err != nil {
		return err
	}
	cfg := gate.Config{Rules: rules, Logger: log}
	if *recordDir != "" {
		if err := os.MkdirAll(*recordDir, 0o700); err != nil {
			return err
		}
		sink, err := record.OpenFile(filepath.Join(*recordDir, "record.jsonl"), record.FileOptions{})
		if err != nil {
			return err
		}
		rec := record.New(sink, record.Options{AsyncOutput: true})
		defer rec.Close()
		cfg.Recorder = rec
	}
	g := gate.New(cfg)

	up, err := readSigner(*upstreamKey)
	if err != nil {
		return err
	}
	hkcb, err := hostKeyCallback(*knownHosts, *pinned)
	if err != nil {
		return err
	}
	hk, err := gatewayHostKey(*hostKey)
	if err != nil {
		return err
	}
	auth, err := authenticator(*authorized, *humans, *caKeys)
	if err != nil {
		return err
	}
	p, err := sshgw.New(sshgw.Config{
		Gate:          g,
		HostKeys:      []ssh.Signer{hk},
		Authenticator: auth,
		Upstream:      sshgw.Upstream{Addr: *upstream, User: *upstreamUser, Signer: up, HostKeyCallback: hkcb},
		RecordInput:   *recordInput,
		Logger:        log,
	})
	if err != nil {
		return err
	}
	defer p.Close()
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", l.Addr().String(), "upstream", *upstream, "host_key", ssh.FingerprintSHA256(hk.PublicKey()))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := p.Serve(ctx, l); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func readSigner(path string) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := ssh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// hostKeyCallback checks the upstream against known_hosts or a pinned key;
// one of them is required.
func hostKeyCallback(knownHosts, pinned string) (ssh.HostKeyCallback, error) {
	switch {
	case knownHosts != "":
		return knownhosts.New(knownHosts)
	case pinned != "":
		data, err := os.ReadFile(pinned)
		if err != nil {
			return nil, err
		}
		pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pinned, err)
		}
		return ssh.FixedHostKey(pub), nil
	}
	return nil, errors.New("-known-hosts or -upstream-host-key is required: the upstream's host key must be checked")
}

func gatewayHostKey(path string) (ssh.Signer, error) {
	if path != "" {
		return readSigner(path)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(priv)
}

// authenticator tries the agents' keys, the humans' keys, then the CA.
func authenticator(agents, humans, caFile string) (gate.Authenticator, error) {
	var as []gate.Authenticator
	load := func(path string, kind gate.IdentityKind) error {
		keys, err := sshgw.LoadAuthorizedKeys(path, func(comment string) gate.Identity {
			return gate.Identity{Subject: comment, Name: comment, Kind: kind, Groups: []string{string(kind) + "s"}}
		})
		if err != nil {
			return err
		}
		as = append(as, keys)
		return nil
	}
	if agents != "" {
		if err := load(agents, gate.KindAgent); err != nil {
			return nil, err
		}
	}
	if humans != "" {
		if err := load(humans, gate.KindHuman); err != nil {
			return nil, err
		}
	}
	if caFile != "" {
		data, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		ca := &sshgw.CertAuthority{}
		for len(strings.TrimSpace(string(data))) > 0 {
			pub, _, _, rest, err := ssh.ParseAuthorizedKey(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", caFile, err)
			}
			ca.Keys = append(ca.Keys, pub)
			data = rest
		}
		as = append(as, ca)
	}
	if len(as) == 0 {
		return nil, errors.New("no client keys: give -authorized-keys, -human-keys or -user-ca")
	}
	return gate.FirstOf(as...), nil
}
