package shell

import (
	"strings"
	"testing"
)

// TestDirectoryChangesBeforeAWrite: a relative write after the line
// changes directory is judged where cd lands: through a literal CDPATH
// (assigned before cd, exported, or as cd's prefix), back with cd - or
// popd to the login directory, and through pushd. Each start-up
// directory x file pair is refused with every way of getting there;
// the same moves before an ordinary file pass.
func TestDirectoryChangesBeforeAWrite(t *testing.T) {
	pairs := []struct{ parent, dir, file string }{
		{"~/.local/share", "systemd", "user/x.service"}, {"~", "bin", "ls"}, {"/root/.local/share", "applications", "x.desktop"},
		{"~/.gradle", "init.d", "x.gradle"}, {"~", ".ssh", "authorized_keys"}, {"~/.config", "git", "hooks/pre-commit"},
	}
	moves := []string{"CDPATH={P}; cd {D} && {W}", "export CDPATH={P}; cd {D}; {W}", "CDPATH={P} cd {D} && {W}",
		"CDPATH=/srv:{P} cd {D} && {W}", "CDPATH='{P}'; cd {D} && {W}", "cd {P}/{D} && cd /tmp && cd - && {W}",
		"pushd {P}/{D} && {W}", "pushd {P}/{D} && pushd /tmp && popd && {W}"}
	writes := []string{"echo x > {F}", "cp /tmp/x {F}", "tee -a {F} < /tmp/x"}
	for _, pr := range pairs {
		for _, m := range moves {
			for _, w := range writes {
				line := strings.NewReplacer("{P}", pr.parent, "{D}", pr.dir, "{W}", strings.ReplaceAll(w, "{F}", pr.file)).Replace(m)
				if _, ok := startupVerdict(t, line); !ok {
					t.Errorf("not refused: %s", line)
				}
			}
		}
	}
	// cd - and popd are taken as possibly back home wherever they are
	// in the line; ordinary names pass after them.
	for _, line := range []string{"CDPATH=/srv; cd app && echo x > user/x.service", "cd /srv/app && cd /tmp && cd - && echo x > notes",
		"pushd /srv && echo x > out.txt", "pushd /srv && popd && echo x > notes.txt"} {
		if why, ok := startupVerdict(t, line); ok {
			t.Errorf("refused: %s (%s)", line, why)
		}
	}
}
