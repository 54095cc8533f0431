package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/airlock-sdk/airlock/gate"
	sshgate "github.com/airlock-sdk/airlock/protocols/sshgate"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// startSSH starts the SSH listener of `airlock serve`.
func (s *server) startSSH(ctx context.Context, x *sshConfig, g *gate.Gate) error {
	hostKey, err := readSigner(x.HostKeyFile)
	if err != nil {
		return fmt.Errorf("ssh.host_key_file: %w", err)
	}
	upKey, err := readSigner(x.UpstreamKeyFile)
	if err != nil {
		return fmt.Errorf("ssh.upstream_key_file: %w", err)
	}
	var hostKeyCallback ssh.HostKeyCallback
	if x.KnownHosts != "" {
		if hostKeyCallback, err = knownhosts.New(x.KnownHosts); err != nil {
			return fmt.Errorf("ssh.known_hosts: %w", err)
		}
	} else {
		pinned, _, _, _, err := ssh.ParseAuthorizedKey([]byte(x.UpstreamHostKey))
		if err != nil {
			return fmt.Errorf("ssh.upstream_host_key: %w", err)
		}
		hostKeyCallback = ssh.FixedHostKey(pinned)
	}
	var auth []gate.Authenticator
	if x.AuthorizedKeys != "" {
		keys, err := sshgate.LoadAuthorizedKeys(x.AuthorizedKeys, func(comment string) gate.Identity {
			if id, ok := x.Identities[comment]; ok {
				return id.identity()
			}
			return gate.Identity{Subject: comment, Name: comment, Kind: gate.KindAgent}
		})
		if err != nil {
			return fmt.Errorf("ssh.authorized_keys: %w", err)
		}
		auth = append(auth, keys)
	}
	if x.TrustedCAFile != "" {
		data, err := os.ReadFile(x.TrustedCAFile)
		if err != nil {
			return fmt.Errorf("ssh.trusted_ca_file: %w", err)
		}
		ca := &sshgate.CertAuthority{}
		for len(data) > 0 {
			key, _, _, rest, err := ssh.ParseAuthorizedKey(data)
			if err != nil {
				break
			}
			ca.Keys = append(ca.Keys, key)
			data = rest
		}
		if len(ca.Keys) == 0 {
			return errors.New("ssh.trusted_ca_file: no public key found")
		}
		auth = append(auth, ca)
	}
	proxy, err := sshgate.New(sshgate.Config{Gate: g, HostKeys: []ssh.Signer{hostKey}, Authenticator: gate.FirstOf(auth...), Logger: s.log.Named("ssh"),
		AllowStartupWrites: x.AllowStartupWrites, AllowOpaqueCode: x.AllowOpaqueCode, AllowMaskedTransforms: x.AllowMaskedTransforms,
		Upstream: sshgate.Upstream{Addr: x.Upstream, User: x.UpstreamUser, Signer: upKey, HostKeyCallback: hostKeyCallback, Home: upstreamHome(x.UpstreamHome)}})
	if err != nil {
		return err
	}
	return s.serveListener(ctx, "ssh", x.Listen, proxy.Serve)
}

// upstreamHome is ssh.upstream_home cleaned ("" stays unset).
func upstreamHome(h string) string {
	if h == "" {
		return ""
	}
	return path.Clean(h)
}

func readSigner(path string) (ssh.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ssh.ParsePrivateKey(data)
}
