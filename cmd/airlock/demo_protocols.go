package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	httpgate "github.com/airlock-sdk/airlock/protocols/httpgate"
	sshgate "github.com/airlock-sdk/airlock/protocols/sshgate"
	mcpgate "github.com/airlock-sdk/airlock/protocols/tool/mcpgate"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/crypto/ssh"
)

// demoProtocolRules are the rules of the protocol tour, appended to the
// tool-call rules of the demo.
const demoProtocolRules = `
  - name: api-reads
    when: request.protocol == "http" && http.method == "GET"
    action: allow
  - name: mcp-no-deletes
    when: request.protocol == "mcp" && tool.name == "delete_note"
    action: deny
    reason: notes are never deleted by agents
  - name: mcp-lists-and-notes
    when: request.protocol == "mcp" && (tool.kind == "list" || tool.name == "read_note")
    action: allow
  - name: safe-commands
    when: request.protocol == "ssh" && ssh.kind == "exec" && ssh.programs.all(p, p in ["uptime", "cat", "grep"])
    action: allow
  - name: no-destructive-commands
    when: request.protocol == "ssh" && (ssh.programs.exists(p, p in ["rm", "dd", "mkfs"]) || ssh.dynamic || ssh.pipes_to_shell)
    action: deny
    reason: destructive or unreadable commands are not for agents
  - name: mask-secrets-for-agents
    when: identity.kind == "agent"
    mask: [secrets]
`

// demoToken is the agent's bearer token in the protocol tour.
const demoToken = "demo-agent-token-0123456789"

// demoProtocols runs the tour over HTTP, MCP and SSH: each with an
// in-process upstream and the real gateway of its protocol in between.
func demoProtocols(ctx context.Context, g *gate.Gate, agent gate.Identity, step demoStep) error {
	for _, tour := range []func(context.Context, *gate.Gate, gate.Identity, demoStep) error{demoHTTP, demoMCP, demoSSH} {
		if err := tour(ctx, g, agent, step); err != nil {
			return err
		}
	}
	return nil
}

// demoHTTPFront puts the HTTP gateway, as a reverse proxy to upstream, in
// front of an httptest server. close shuts both down.
func demoHTTPFront(g *gate.Gate, agent gate.Identity, target string, upstream *httptest.Server, cred httpgate.Credential) (front *httptest.Server, close func(), err error) {
	up, _ := url.Parse(upstream.URL)
	hgw, err := httpgate.New(httpgate.Config{Gate: g, Authenticator: gate.Tokens(map[string]gate.Identity{demoToken: agent}), Target: target,
		Proxy: &httpgate.ProxyConfig{Upstream: up, Credential: cred}})
	if err != nil {
		return nil, nil, err
	}
	front = httptest.NewServer(hgw.Handler())
	return front, func() {
		front.Close()
		hgw.Close()
	}, nil
}

// demoHTTPDo sends req as the agent and returns the body of a 200 answer;
// any other status is the error the agent sees.
func demoHTTPDo(req *http.Request) (any, error) {
	req.Header.Set("Authorization", "Bearer "+demoToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}

// demoHTTP plays steps 7 and 8: a reverse proxy in front of a customer API.
func demoHTTP(ctx context.Context, g *gate.Gate, agent gate.Identity, step demoStep) error {
	api := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		fmt.Fprint(rw, `{"id":1,"name":"Ada Lovelace","email":"ada@example.com","card":4111111111111111}`)
	}))
	defer api.Close()
	front, closeFront, err := demoHTTPFront(g, agent, "customer-api", api, httpgate.BearerCredential("upstream-secret"))
	if err != nil {
		return err
	}
	defer closeFront()
	httpCall := func(method string) (any, error) {
		req, _ := http.NewRequestWithContext(ctx, method, front.URL+"/v1/customers/1", nil)
		return demoHTTPDo(req)
	}
	step(7, "HTTP through the reverse proxy: a GET, with the card (a JSON number) and the email masked.", "GET /v1/customers/1",
		func() (any, error) { return httpCall("GET") })
	step(8, "HTTP: a DELETE no rule allows gets 403 problem+json.", "DELETE /v1/customers/1",
		func() (any, error) { return httpCall("DELETE") })
	return nil
}

// demoMCP plays steps 9 and 10: a notes server behind the MCP gateway; the
// delete tool is hidden.
func demoMCP(ctx context.Context, g *gate.Gate, agent gate.Identity, step demoStep) error {
	notes := textToolServer("notes", textTool{"read_note", "deploy key: AKIAIOSFODNN7EXAMPLE"}, textTool{"delete_note", "deleted"})
	mcpUp := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return notes }, nil))
	defer mcpUp.Close()
	mgw, err := mcpgate.New(mcpgate.Config{Gate: g, Upstream: mcpgate.URL(mcpUp.URL, nil), Target: "notes-mcp",
		Authenticator: gate.Tokens(map[string]gate.Identity{demoToken: agent})})
	if err != nil {
		return err
	}
	defer mgw.Close()
	mcpFront := httptest.NewServer(mgw.Handler())
	defer mcpFront.Close()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "demo-agent", Version: "1"}, nil).Connect(ctx,
		&sdk.StreamableClientTransport{Endpoint: mcpFront.URL, HTTPClient: &http.Client{Transport: bearer(demoToken)}}, nil)
	if err != nil {
		return err
	}
	defer cs.Close()
	step(9, "MCP: the agent lists the tools; the one it could never call is not shown.", "tools/list", func() (any, error) {
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, t := range res.Tools {
			names = append(names, t.Name)
		}
		return names, nil
	})
	step(10, "MCP: a tool result carrying an AWS key, masked.", "tools/call read_note", func() (any, error) {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_note", Arguments: map[string]any{}})
		if err != nil {
			return nil, err
		}
		return res.Content[0].(*sdk.TextContent).Text, nil
	})
	return nil
}

// demoSSH plays steps 11 and 12: an in-process SSH server behind the SSH
// gateway.
func demoSSH(ctx context.Context, g *gate.Gate, agent gate.Identity, step demoStep) error {
	sshUp, upKey, err := startDemoSSHServer(ctx)
	if err != nil {
		return err
	}
	defer sshUp.Close()
	hostKey, _ := newDemoSigner()
	gwKey, _ := newDemoSigner()
	agentKey, _ := newDemoSigner()
	keys := &sshgate.AuthorizedKeys{}
	keys.Add(agentKey.PublicKey(), agent)
	sp, err := sshgate.New(sshgate.Config{Gate: g, HostKeys: []ssh.Signer{hostKey}, Authenticator: keys,
		Upstream: sshgate.Upstream{Addr: sshUp.Addr().String(), User: "ops", Signer: gwKey, HostKeyCallback: ssh.FixedHostKey(upKey)}})
	if err != nil {
		return err
	}
	defer sp.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = sp.Serve(sctx, ln) }()
	client, err := ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{User: "ops", Auth: []ssh.AuthMethod{ssh.PublicKeys(agentKey)},
		HostKeyCallback: ssh.FixedHostKey(hostKey.PublicKey()), Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer client.Close()
	sshRun := func(cmd string) (any, error) {
		sess, err := client.NewSession()
		if err != nil {
			return nil, err
		}
		defer sess.Close()
		out, err := sess.CombinedOutput(cmd)
		if err != nil {
			return nil, fmt.Errorf("%s(%v)", strings.TrimSpace(string(out))+" ", err)
		}
		return string(out), nil
	}
	step(11, "SSH: an allowed command; the password in its output is masked.", "ssh ops@host 'cat /etc/app.conf'",
		func() (any, error) { return sshRun("cat /etc/app.conf") })
	step(12, "SSH: rm spelled to dodge a naive filter is still seen as rm.", `ssh ops@host "r''m -rf /srv/data"`,
		func() (any, error) { return sshRun("r''m -rf /srv/data") })
	return nil
}

// textTool is a tool that answers every call with the same text.
type textTool struct{ name, text string }

// textToolServer is an MCP server with the given tools, standing in for a
// real one.
func textToolServer(name string, tools ...textTool) *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: name, Version: "1"}, nil)
	for _, t := range tools {
		sdk.AddTool(s, &sdk.Tool{Name: t.name}, func(context.Context, *sdk.CallToolRequest, struct{}) (*sdk.CallToolResult, any, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: t.text}}}, nil, nil
		})
	}
	return s
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

func newDemoSigner() (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(priv)
}

// startDemoSSHServer is a tiny SSH server that "runs" two commands with
// canned output, standing in for a production host.
func startDemoSSHServer(ctx context.Context) (net.Listener, ssh.PublicKey, error) {
	hostKey, err := newDemoSigner()
	if err != nil {
		return nil, nil, err
	}
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(ssh.ConnMetadata, ssh.PublicKey) (*ssh.Permissions, error) { return nil, nil }}
	cfg.AddHostKey(hostKey)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serveDemoSSH(nc, cfg)
		}
	}()
	return ln, hostKey.PublicKey(), nil
}

func serveDemoSSH(nc net.Conn, cfg *ssh.ServerConfig) {
	conn, chans, reqs, err := ssh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "no")
			continue
		}
		ch, chReqs, err := nch.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			for req := range chReqs {
				if req.Type != "exec" || len(req.Payload) < 4 {
					_ = req.Reply(false, nil)
					continue
				}
				cmd := string(req.Payload[4:])
				_ = req.Reply(true, nil)
				out, status := "", uint32(0)
				switch {
				case strings.HasPrefix(cmd, "cat /etc/app.conf"):
					out = "listen=:8080\ndb_password=hunter2-prod-secret\n"
				case cmd == "uptime":
					out = " 10:00:00 up 42 days\n"
				default:
					out, status = "demo host: command not found\n", 127
				}
				_, _ = io.WriteString(ch, out)
				var st [4]byte
				binary.BigEndian.PutUint32(st[:], status)
				_, _ = ch.SendRequest("exit-status", false, st[:])
				return
			}
		}()
	}
}
