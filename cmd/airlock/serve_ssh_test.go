package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// writeKey writes a new Ed25519 private key (OpenSSH format) and its public
// key (authorized_keys format, with comment) and returns the public key.
func writeKey(t *testing.T, path, comment string) ssh.PublicKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, comment)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(block), 0o600))
	signer, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))) + " " + comment + "\n"
	require.NoError(t, os.WriteFile(path+".pub", []byte(line), 0o644))
	return signer.PublicKey()
}

func TestServeSSH(t *testing.T) {
	requireTool(t, "ssh")
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
	}
	if _, err := os.Stat(sshd); err != nil {
		requireTool(t, "sshd")
	}
	bin := buildAirlock(t)
	dir := t.TempDir()
	sshdHost := writeKey(t, filepath.Join(dir, "sshd_host"), "sshd")
	writeKey(t, filepath.Join(dir, "upstream_user"), "gateway")
	writeKey(t, filepath.Join(dir, "gateway_host"), "gateway-host")
	writeKey(t, filepath.Join(dir, "agent"), "agent-1")
	up, _ := os.ReadFile(filepath.Join(dir, "upstream_user.pub"))
	writeFile(t, filepath.Join(dir, "sshd_authorized_keys"), string(up))
	_ = os.MkdirAll("/run/sshd", 0o755)
	sshdAddr := freePort(t)
	_, sshdPort, _ := net.SplitHostPort(sshdAddr)
	sshdCfg := fmt.Sprintf("ListenAddress %s\nHostKey %s\nAuthorizedKeysFile %s\nPidFile none\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nPermitRootLogin prohibit-password\nLogLevel ERROR\n",
		sshdAddr, filepath.Join(dir, "sshd_host"), filepath.Join(dir, "sshd_authorized_keys"))
	writeFile(t, filepath.Join(dir, "sshd_config"), sshdCfg)
	upstream := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	upstream.WaitDelay = 2 * time.Second
	require.NoError(t, upstream.Start())
	t.Cleanup(func() { _ = upstream.Process.Kill(); _ = upstream.Wait() })
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", sshdAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)

	victim := filepath.Join(dir, "victim")
	require.NoError(t, os.Mkdir(victim, 0o755))
	rules := `default: deny
rules:
  - name: exec
    when: ssh.kind == "exec"
    action: allow
  - name: no-rm
    when: ssh.programs.exists(p, p == "rm") || ssh.dynamic || ssh.pipes_to_shell
    action: deny
    reason: destructive commands are not allowed
`
	writeFile(t, filepath.Join(dir, "rules.yaml"), rules)
	listen := freePort(t)
	cfg := fmt.Sprintf(`
rules: {file: %[1]s/rules.yaml}
record: {file: {path: %[1]s/record.jsonl}}
ssh:
  listen: %[2]s
  host_key_file: %[1]s/gateway_host
  upstream: 127.0.0.1:%[3]s
  upstream_user: root
  upstream_key_file: %[1]s/upstream_user
  upstream_host_key: %[4]q
  authorized_keys: %[1]s/agent.pub
`, dir, listen, sshdPort, strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshdHost))))
	gw := startGateway(t, bin, dir, cfg)

	host, port, _ := net.SplitHostPort(listen)
	run := func(command string) (string, error) {
		c := exec.Command("ssh", "-p", port, "-i", filepath.Join(dir, "agent"), "-o", "StrictHostKeyChecking=no",
			"-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "root@"+host, command)
		b, err := c.CombinedOutput()
		return string(b), err
	}
	out, err := run("echo hello from upstream")
	require.NoError(t, err, out+gw.logs.String())
	assert.Equal(t, "hello from upstream\n", out)
	out, err = run("r''m -rf " + victim)
	require.Error(t, err)
	assert.Contains(t, out, "destructive commands are not allowed")
	assert.DirExists(t, victim)
	// A start-up file is refused as ssh/startup although the rules allow
	// the exec, unless ssh.allow_startup_writes is set.
	planted := filepath.Join(victim, ".bashrc")
	out, err = run("echo '# PLANTED' >> " + planted)
	require.Error(t, err)
	assert.Contains(t, out, "start-up file")
	assert.NoFileExists(t, planted)
	// A bin directory outside the account's home (/root, which the
	// gateway learns from the upstream, and records asking) is ordinary.
	home := filepath.Join(dir, "srv-app")
	require.NoError(t, os.Mkdir(home, 0o755))
	tool := filepath.Join(home, "bin", "tool")
	binLine := "mkdir -p " + home + "/bin && cp /etc/hostname " + tool
	out, err = run(binLine)
	require.NoError(t, err, out)
	assert.FileExists(t, tool)
	require.NoError(t, os.RemoveAll(filepath.Join(home, "bin")))

	gw.stop(t, 20*time.Second)
	rec, err := os.ReadFile(filepath.Join(dir, "record.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(rec), "hello from upstream")
	assert.Contains(t, string(rec), "session_end")
	assert.Contains(t, string(rec), `"ssh/startup"`)
	assert.Contains(t, string(rec), probeReasonText, "the login directory probe is not in the record")

	open := strings.Replace(cfg, "record.jsonl", "record-open.jsonl", 1) + "  allow_startup_writes: true\n"
	openGW := startGatewayAt(t, bin, filepath.Join(dir, "airlock-open.yaml"), open)
	out, err = run("echo '# PLANTED' >> " + planted)
	require.NoError(t, err, out)
	assert.FileExists(t, planted)
	openGW.stop(t, 20*time.Second)

	// ssh.upstream_home names the account's home without asking: its bin
	// directory is refused as a start-up path, and no probe is recorded.
	named := strings.Replace(cfg, "record.jsonl", "record-home.jsonl", 1) + "  upstream_home: " + home + "/\n"
	homeGW := startGatewayAt(t, bin, filepath.Join(dir, "airlock-home.yaml"), named)
	out, err = run(binLine)
	require.Error(t, err)
	assert.Contains(t, out, "start-up file")
	assert.NoFileExists(t, tool)
	homeGW.stop(t, 20*time.Second)
	rec, err = os.ReadFile(filepath.Join(dir, "record-home.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(rec), `"ssh/startup"`)
	assert.NotContains(t, string(rec), probeReasonText, "a probe was recorded with ssh.upstream_home set")
}

// probeReasonText is in the reason the record gives the gateway's own
// question for the upstream account's login directory.
const probeReasonText = "the gateway asks the upstream for the account"

// TestServeUpstreamHomeChecked: ssh.upstream_home must be an absolute
// directory other than /; --check names the key otherwise.
func TestServeUpstreamHomeChecked(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"gateway_host", "upstream_user", "agent"} {
		writeKey(t, filepath.Join(dir, k), k)
	}
	upHost := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(writeKey(t, filepath.Join(dir, "sshd_host"), "sshd"))))
	writeFile(t, filepath.Join(dir, "rules.yaml"), "default: deny\n")
	base := fmt.Sprintf(`
rules: {file: %[1]s/rules.yaml}
record: {file: {path: %[1]s/record.jsonl}}
ssh:
  listen: 127.0.0.1:0
  host_key_file: %[1]s/gateway_host
  upstream: 127.0.0.1:22
  upstream_key_file: %[1]s/upstream_user
  upstream_host_key: %[2]q
  authorized_keys: %[1]s/agent.pub
`, dir, upHost)
	for home, ok := range map[string]bool{"/srv/app": true, "/srv/app/": true, "srv/app": false, "/": false, "//": false, "~/app": false} {
		cfg := filepath.Join(t.TempDir(), "airlock.yaml")
		writeFile(t, cfg, base+"  upstream_home: "+fmt.Sprintf("%q", home)+"\n")
		var out, errb bytes.Buffer
		code := cmdServe([]string{"--config", cfg, "--check"}, &out, &errb)
		if ok {
			assert.Equal(t, 0, code, "%s: %s", home, errb.String())
			continue
		}
		assert.Equal(t, 1, code, "%s accepted", home)
		assert.Contains(t, errb.String(), "ssh.upstream_home", home)
	}
}
