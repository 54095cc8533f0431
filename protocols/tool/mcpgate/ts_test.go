package mcpgate

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
)

// tsSDKVersion is the official TypeScript SDK the interoperability test
// installs (once, into the user cache, or into AIRLOCK_MCP_TS_SDK_DIR).
const tsSDKVersion = "1.32.2"

const tsClient = `
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: "Bearer " + token } },
});
const client = new Client({ name: "ts-agent", version: "1.0.0" });
await client.connect(transport);
const out = { server: client.getServerVersion() };
out.tools = (await client.listTools()).tools.map((t) => t.name);
out.read = await client.callTool({ name: "read_customer", arguments: { id: 1 } });
out.denied = await client.callTool({ name: "delete_customer", arguments: { id: 1 } });
try {
  await client.callTool({ name: "admin_reset", arguments: {} });
  out.hiddenError = null;
} catch (e) {
  out.hiddenError = { code: e.code, message: e.message };
}
let progress = 0;
out.held = await client.callTool({ name: "delete_customer", arguments: { id: 2 } }, undefined, {
  onprogress: () => { progress++; }, resetTimeoutOnProgress: true, timeout: 10000,
});
out.progress = progress;
try {
  await client.readResource({ uri: "secrets://root" });
  out.resourceError = null;
} catch (e) {
  out.resourceError = { code: e.code, message: e.message };
}
try {
  await client.request({ method: "no/such/method", params: {} }, (await import("zod")).z.any());
  out.unknownError = null;
} catch (e) {
  out.unknownError = { code: e.code, message: e.message };
}
await transport.terminateSession();
await client.close();
console.log(JSON.stringify(out));
`

// tsSDK returns a directory whose node_modules holds the TypeScript SDK,
// installing it with npm when it is not there yet.
func tsSDK(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		gatetest.NeedTool(t, tool)
	}
	dir := os.Getenv("AIRLOCK_MCP_TS_SDK_DIR")
	if dir == "" {
		cache, err := os.UserCacheDir()
		require.NoError(t, err)
		dir = filepath.Join(cache, "airlock-test", "mcp-ts-sdk-"+tsSDKVersion)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err == nil {
		return dir
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"airlock-mcp-ts-test","private":true}`), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "@modelcontextprotocol/sdk@"+tsSDKVersion)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "npm install: %s", out)
	return dir
}

// tsScript writes source as a node script into a new work directory that
// sees the TypeScript SDK, and returns the directory and the script.
func tsScript(t *testing.T, source string) (work, script string) {
	t.Helper()
	sdkDir := tsSDK(t)
	work = t.TempDir()
	require.NoError(t, os.Symlink(filepath.Join(sdkDir, "node_modules"), filepath.Join(work, "node_modules")))
	script = filepath.Join(work, "client.mjs")
	require.NoError(t, os.WriteFile(script, []byte(source), 0o644))
	return work, script
}

// runNode runs script with node, within a minute, and returns its
// standard output; its standard error goes to the test's.
func runNode(t *testing.T, script string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	require.NoError(t, err, "node client: %s", raw)
	return raw
}

type tsText struct {
	Content []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
	StructuredContent map[string]any `json:"structuredContent"`
	IsError           bool           `json:"isError"`
}

func TestTypeScriptClientHTTP(t *testing.T) {
	_, script := tsScript(t, tsClient)

	f := newFixture(t, gate.Hold, upstreamCommand())
	srv := httptest.NewServer(f.gw.Handler())
	defer srv.Close()
	go func() {
		p, err := f.appr.WaitPending(context.Background())
		if err != nil {
			return
		}
		time.Sleep(300 * time.Millisecond)
		_, _ = f.appr.Approve(context.Background(), p.ID, reviewer, "ok")
	}()

	raw := runNode(t, script, srv.URL, "agent-token")

	var out struct {
		Server      map[string]any `json:"server"`
		Tools       []string       `json:"tools"`
		Read        tsText         `json:"read"`
		Denied      tsText         `json:"denied"`
		HiddenError *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"hiddenError"`
		Held          tsText `json:"held"`
		Progress      int    `json:"progress"`
		ResourceError *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"resourceError"`
		UnknownError *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"unknownError"`
	}
	require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	assert.Equal(t, "customers", out.Server["name"])
	assert.ElementsMatch(t, []string{"read_customer", "delete_customer", "crash", "photo", "slow"}, out.Tools)

	require.NotEmpty(t, out.Read.Content)
	assert.Contains(t, out.Read.Content[0].Text, "Ada Lovelace")
	assert.NotContains(t, string(raw), "ada@example.com")
	assert.NotContains(t, string(raw), "4111 1111 1111 1111")
	assert.Equal(t, "Ada Lovelace", out.Read.StructuredContent["name"])

	assert.True(t, out.Denied.IsError)
	assert.Contains(t, out.Denied.Content[0].Text, "customer 1 is protected")
	require.NotNil(t, out.HiddenError, "a hidden tool is not callable")
	assert.Equal(t, CodeUnknownName, out.HiddenError.Code)
	assert.Contains(t, out.HiddenError.Message, `unknown tool admin_reset`)

	assert.False(t, out.Held.IsError)
	assert.Equal(t, "deleted customer 2", out.Held.Content[0].Text)
	assert.Positive(t, out.Progress, "progress notifications while held")

	require.NotNil(t, out.ResourceError)
	assert.Equal(t, CodeResourceNotFound, out.ResourceError.Code)
	assert.Contains(t, out.ResourceError.Message, `unknown resource secrets://root`)
	require.NotNil(t, out.UnknownError)
	assert.Equal(t, -32601, out.UnknownError.Code)

	end := waitSessionEnd(t, f)
	assert.Equal(t, "agent-7", end.Identity.Subject)
}

const tsStdioClient = `
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [command, recordPath] = process.argv.slice(2);
const transport = new StdioClientTransport({
  command, args: [],
  env: { ...process.env, AIRLOCK_MCP_TEST_UPSTREAM: "gateway", AIRLOCK_MCP_TEST_RECORD: recordPath },
  stderr: "inherit",
});
const client = new Client({ name: "ts-agent-stdio", version: "1.0.0" });
await client.connect(transport);
const out = { server: client.getServerVersion() };
out.tools = (await client.listTools()).tools.map((t) => t.name);
out.read = await client.callTool({ name: "read_customer", arguments: { id: 2 } });
out.denied = await client.callTool({ name: "delete_customer", arguments: { id: 1 } });
await client.close();
console.log(JSON.stringify(out));
`

// TestTypeScriptClientStdio: the TypeScript SDK client starts the gateway
// (this test binary in its gateway role) as its MCP server over stdio, and
// the gateway spawns the upstream.
func TestTypeScriptClientStdio(t *testing.T) {
	work, script := tsScript(t, tsStdioClient)
	recPath := filepath.Join(work, "record.jsonl")

	raw := runNode(t, script, os.Args[0], recPath)
	var out struct {
		Server map[string]any `json:"server"`
		Tools  []string       `json:"tools"`
		Read   tsText         `json:"read"`
		Denied tsText         `json:"denied"`
	}
	require.NoError(t, json.Unmarshal(raw, &out), "%s", raw)
	assert.Equal(t, "customers", out.Server["name"])
	assert.Contains(t, out.Tools, "read_customer")
	assert.NotContains(t, out.Tools, "admin_reset")
	assert.Contains(t, out.Read.Content[0].Text, "Alan Turing")
	assert.NotContains(t, string(raw), "alan@example.org")
	assert.True(t, out.Denied.IsError)
	assert.Contains(t, out.Denied.Content[0].Text, "customer 1 is protected")

	require.Eventually(t, func() bool {
		sessions, err := record.ReadFile(recPath)
		if err != nil || len(sessions) != 1 {
			return false
		}
		ended := false
		for _, evs := range sessions {
			for _, e := range evs {
				ended = ended || e.Kind == string(gate.EventSessionEnd)
			}
		}
		return ended
	}, 10*time.Second, 50*time.Millisecond, "the record ends with session_end (and its checkpoint)")
}
