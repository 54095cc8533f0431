package mask

import (
	"strings"
	"testing"
)

// TestHostSpecsGenerated is the generator of the family "a login at a
// host read as an e-mail address": account names × hosts × the forms a
// remote or a URL's user takes (git and scp remotes, rsync, ssh, git and
// database URLs) must come back unchanged; e-mail addresses × the forms
// an address takes next to a ':' (a header, a list, an address and
// password pair, a port-like number) must be masked still.
func TestHostSpecsGenerated(t *testing.T) {
	p := newPolicy(t, "all")
	users := []string{"git", "deploy", "root", "ubuntu", "ann.smith", "ci-bot", "svc_backup"}
	hosts := []string{"github.com", "gitlab.example.org", "web01.example.com", "nas.local", "db-prod.internal", "bitbucket.org"}
	remotes := []string{
		"git clone %s:org/repo.git", "git remote add origin %s:group/sub/project.git",
		"scp file.txt %s:/tmp/", "scp %s:~/backup.tgz .", "rsync -av ./ %s:/srv/backup/",
		"ssh://%s/org/repo.git", "git+ssh://%s/org/repo", "postgres://%s:5432/app", "https://%s/path",
		"Cloning from %s:team/app.git ...", "%s:~/app",
	}
	changed, n := 0, 0
	for _, u := range users {
		for _, h := range hosts {
			for _, f := range remotes {
				in := strings.ReplaceAll(f, "%s", u+"@"+h)
				n++
				got, err := valueAndStream(p, in, n%len(in))
				if err != nil || got != in {
					if changed++; changed <= 5 {
						t.Errorf("%q -> %q, %v", in, got, err)
					}
				}
			}
		}
	}
	t.Logf("%d of %d remotes and URL users masked", changed, n)
	emails := []string{"ann@example.com", "j.doe+billing@mail.example.org", "bob_99@corp.example.net"}
	forms := []string{
		"mail %s", "%s: she knows", "%s:", "%s:hunter2", "%s:Secr3t!pass", "%s:123456", "<%s>", "mailto:%s",
		"%s:443", "To: %s", "owner=%s:read", "%s: /home/ann", "%s:pass/word",
		// URLs of an application's own scheme may name a person by
		// address (an MCP resource, people://ann@example.com).
		"people://%s", "app://%s/profile", "x-crm+v2://%s?tab=1", "PEOPLE://%s",
	}
	left, m := 0, 0
	for _, e := range emails {
		for _, f := range forms {
			in := strings.ReplaceAll(f, "%s", e)
			m++
			got, err := valueAndStream(p, in, m%len(in))
			if err != nil || strings.Contains(got, e[:strings.IndexByte(e, '@')+4]) {
				if left++; left <= 5 {
					t.Errorf("%q -> %q, %v", in, got, err)
				}
			}
		}
	}
	t.Logf("%d of %d addresses left", left, m)
}
