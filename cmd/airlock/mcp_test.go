package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mcpServerEnv makes the test binary an MCP server on its stdin and stdout
// (notesServer), for `airlock mcp` to spawn as its upstream.
const mcpServerEnv = "AIRLOCK_CMD_TEST_MCP_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(mcpServerEnv) == "1" {
		srv := notesServer()
		if tok := os.Getenv(mcpEchoTokenEnv); tok != "" {
			// A server that answers with a credential of its environment.
			srv = textToolServer("notes", textTool{"read_note", "token in use: " + tok}, textTool{"delete_note", "deleted"})
		}
		if err := srv.Run(context.Background(), &sdk.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, "upstream:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	removeBuiltBinary()
	os.Exit(code)
}

// mcpEchoTokenEnv holds a credential the test MCP server answers
// read_note with.
const mcpEchoTokenEnv = "UPSTREAM_API_TOKEN"

// TestMCPCommandWithholdsServerCredentials: `airlock mcp` spawns its
// server with its own environment; a server answering with a credential
// of it (a variable named like a secret) has its answer withheld.
func TestMCPCommandWithholdsServerCredentials(t *testing.T) {
	dir, rules := mcpKeys(t)
	tok := "tok-" + fmt.Sprint(time.Now().UnixNano())
	t.Setenv(mcpEchoTokenEnv, tok)
	code, stderr := runMCPCommand(t, []string{"--rules", rules, "--identity", "agent-7", "--record", filepath.Join(dir, "r.jsonl")},
		func(cs *sdk.ClientSession) {
			res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "read_note"})
			got := fmt.Sprint(err)
			if err == nil {
				for _, c := range res.Content {
					if tc, ok := c.(*sdk.TextContent); ok {
						got += tc.Text
					}
				}
			}
			assert.NotContains(t, got, tok, "the server's credential reached the client")
			assert.NotEmpty(t, got)
		})
	assert.Equal(t, 0, code, stderr)
}

// TestUpstreamCredentials: what an MCP upstream URL and a stdio server's
// environment present.
func TestUpstreamCredentials(t *testing.T) {
	assert.ElementsMatch(t, []string{"s3cret-pass", "bot:s3cret-pass", "qtok-123456"},
		mcpURLSecrets("https://bot:s3cret-pass@mcp.example/mcp?api_token=qtok-123456&page=2"))
	assert.Empty(t, mcpURLSecrets("https://mcp.example/mcp?page=2"))
	assert.ElementsMatch(t, []string{"ghp_abc", "hunter22"},
		envSecrets([]string{"GITHUB_TOKEN=ghp_abc", "DB_PASSWORD=hunter22", "HOME=/root", "PATH=/bin", "EMPTY_SECRET="}))
}

// mcpKeys writes record keys with `airlock keygen` and a rule file.
func mcpKeys(t *testing.T) (dir, rules string) {
	t.Helper()
	dir = t.TempDir()
	keygen(t, dir)
	rules = filepath.Join(dir, "rules.yaml")
	require.NoError(t, os.WriteFile(rules, []byte(serveRules), 0o600))
	return dir, rules
}

// mcpExercise lists, reads (masked) and tries a hidden tool.
func mcpExercise(t *testing.T, cs *sdk.ClientSession) {
	t.Helper()
	ctx := context.Background()
	tools, err := cs.ListTools(ctx, nil)
	require.NoError(t, err)
	require.Len(t, tools.Tools, 1)
	assert.Equal(t, "read_note", tools.Tools[0].Name)
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "read_note"})
	require.NoError(t, err)
	require.Len(t, res.Content, 1)
	assert.Equal(t, "call [EMAIL]", res.Content[0].(*sdk.TextContent).Text)
	_, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "Read_Note"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown tool")
}

// runMCPCommand runs cmdMCP in process with a Go SDK client on its stdin
// and stdout, and returns its exit code and stderr after the client closed.
func runMCPCommand(t *testing.T, args []string, exercise func(*sdk.ClientSession)) (int, string) {
	t.Helper()
	t.Setenv(mcpServerEnv, "1") // for the upstream the command spawns
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	stderr := &syncBuffer{}
	code := make(chan int, 1)
	go func() {
		c := cmdMCP(append(args, "--", os.Args[0]), inR, outW, stderr)
		_ = outW.Close()
		code <- c
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx,
		&sdk.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		_ = inW.Close()
		select {
		case c := <-code:
			return c, stderr.String()
		case <-time.After(10 * time.Second):
			t.Fatalf("connect: %v", err)
		}
	}
	exercise(cs)
	require.NoError(t, cs.Close())
	select {
	case c := <-code:
		return c, stderr.String()
	case <-time.After(20 * time.Second):
		t.Fatal("airlock mcp did not exit after the client closed")
		return 0, ""
	}
}

// TestMCPCommandRecordVerifies: `airlock mcp` takes the record keys of
// `airlock serve` and its record verifies with `airlock verify`; without
// the signing key, verification fails.
func TestMCPCommandRecordVerifies(t *testing.T) {
	dir, rules := mcpKeys(t)
	recPath := filepath.Join(dir, "record.jsonl")
	code, stderr := runMCPCommand(t, []string{"--rules", rules, "--identity", "agent-7", "--record", recPath,
		"--signing-key-file", filepath.Join(dir, "record-signing.pem"), "--hmac-key-file", filepath.Join(dir, "record-hmac.key")},
		func(cs *sdk.ClientSession) { mcpExercise(t, cs) })
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, "unsigned")
	assert.NotContains(t, stderr, "no --record")

	var out, errb bytes.Buffer
	require.Equal(t, 0, cmdVerify([]string{recPath, "--key", filepath.Join(dir, "record-signing.pub")}, &out, &errb), out.String()+errb.String())
	assert.Contains(t, out.String(), "ok     session")
	assert.Contains(t, out.String(), "verified 1 sessions")
	data, err := os.ReadFile(recPath)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "bob@example.com", "the record holds what the client saw")
	assert.Contains(t, string(data), "mcp/unknown-name", "the refused variant is recorded")

	// The same session unsigned: verify refuses it.
	unsigned := filepath.Join(dir, "unsigned.jsonl")
	code, stderr = runMCPCommand(t, []string{"--rules", rules, "--identity", "agent-7", "--record", unsigned},
		func(cs *sdk.ClientSession) { mcpExercise(t, cs) })
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "unsigned")
	out.Reset()
	assert.Equal(t, 1, cmdVerify([]string{unsigned, "--key", filepath.Join(dir, "record-signing.pub")}, &out, &errb))
	assert.Contains(t, out.String(), "BROKEN")
}

// TestMCPCommandWarnsWithoutRecord: an operator who forgets --record is
// told that the session leaves no record, and the session still works.
func TestMCPCommandWarnsWithoutRecord(t *testing.T) {
	_, rules := mcpKeys(t)
	code, stderr := runMCPCommand(t, []string{"--rules", rules, "--identity", "agent-7"},
		func(cs *sdk.ClientSession) { mcpExercise(t, cs) })
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "warning: no --record")
}

// Bad key files and keys without a record are refused before anything
// starts, naming what is wrong.
func TestMCPCommandKeyErrors(t *testing.T) {
	dir, rules := mcpKeys(t)
	bad := filepath.Join(dir, "bad.key")
	require.NoError(t, os.WriteFile(bad, []byte("short"), 0o600))
	var out, errb bytes.Buffer
	code := cmdMCP([]string{"--rules", rules, "--record", filepath.Join(dir, "r.jsonl"), "--hmac-key-file", bad, "--", "true"}, nil, &out, &errb)
	assert.Equal(t, 1, code)
	assert.Contains(t, errb.String(), "record.hmac_key_file")
	errb.Reset()
	code = cmdMCP([]string{"--rules", rules, "--record", filepath.Join(dir, "r.jsonl"), "--signing-key-file", bad, "--", "true"}, nil, &out, &errb)
	assert.Equal(t, 1, code)
	assert.Contains(t, errb.String(), "record.signing_key_file")
	errb.Reset()
	code = cmdMCP([]string{"--rules", rules, "--signing-key-file", filepath.Join(dir, "record-signing.pem"), "--", "true"}, nil, &out, &errb)
	assert.Equal(t, 2, code)
	assert.Contains(t, errb.String(), "without a record")
	assert.Empty(t, out.String(), "nothing but MCP on stdout")
}

// TestMCPBinaryConfigRecordVerifies runs the built binary as an agent would
// (spawned by the Go SDK client over stdio), configured with the record
// section of an `airlock serve` config file, then `airlock verify`.
func TestMCPBinaryConfigRecordVerifies(t *testing.T) {
	bin := buildAirlock(t)
	dir, rules := mcpKeys(t)
	recPath := filepath.Join(dir, "record.jsonl")
	cfgPath := filepath.Join(dir, "airlock.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf(`rules:
  file: %s
record:
  file: {path: %s}
  signing_key_file: %s
  hmac_key_file: %s
# Sections airlock mcp does not use need none of their environment.
identities:
  tokens:
    ${AIRLOCK_TEST_UNSET_TOKEN}: {subject: someone}
`, rules, recPath, filepath.Join(dir, "record-signing.pem"), filepath.Join(dir, "record-hmac.key"))), 0o600))
	cmd := exec.Command(bin, "mcp", "--config", cfgPath, "--identity", "agent-7", "--", os.Args[0])
	cmd.Env = append(os.Environ(), mcpServerEnv+"=1")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "agent", Version: "1"}, nil).Connect(ctx, &sdk.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err, stderr.String())
	mcpExercise(t, cs)
	require.NoError(t, cs.Close(), "the gateway exits 0 once the client closed: %s", stderr.String())

	verify := exec.Command(bin, "verify", recPath, "--key", filepath.Join(dir, "record-signing.pub"))
	out, err := verify.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "ok     session")
}
