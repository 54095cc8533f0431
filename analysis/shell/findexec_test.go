package shell

import (
	"slices"
	"strings"
	"testing"
)

// TestFindExecGenerated: the command find -exec, -execdir, -ok and -okdir
// run ends where GNU find ends it — at ";", or for -exec and -execdir at a
// "+" right after "{}" — and find itself only reads unless it deletes or
// writes a file (-delete, -fprint, -fls): the command it runs is judged
// on its own. A generator crosses find lines, actions, terminators (";",
// \;, "+") and inner commands: each read-only inner command makes a
// read-only line, each writing one does not, and a command hidden after
// a "+" that does not end the command (find . -exec sudo -u + rm -rf x \;
// runs rm) is listed. A found name in the program's place ({} or '{}',
// through a wrapper too) makes the line dynamic. Before: 455 of 455
// read-only finds not read-only, 120 of 120 hidden commands missed, 105
// of 280 found programs ('{}' quoted) not dynamic.
func TestFindExecGenerated(t *testing.T) {
	t.Parallel()
	finds := []string{"find .", "find /var/log -type f", "find /srv -maxdepth 2 -mtime +7", "sudo find /etc -name '*.conf'",
		"find . -type f -size +1M"}
	reading := []string{"ls -l", "ls -ld", "cat", "wc -l", "stat", "du -sh", "head -n 1", "md5sum", "grep -l needle",
		"tail -n 2", "basename", "readlink -f", "sha256sum"}
	writing := []string{"rm", "rm -f", "chmod 644", "chown root", "mv -t /tmp", "touch", "truncate -s 0", "shred -u"}
	type term struct {
		action, end string
	}
	terms := []term{{"-exec", ";"}, {"-exec", "\\;"}, {"-exec", "+"}, {"-execdir", "';'"}, {"-execdir", "+"},
		{"-ok", "\\;"}, {"-okdir", "\\;"}}
	benign, benignRefused := 0, 0
	writes, writesMissed := 0, 0
	for _, f := range finds {
		for _, tm := range terms {
			for _, c := range reading {
				line := f + " " + tm.action + " " + c + " {} " + tm.end
				benign++
				s, err := Parse(line)
				if err != nil || !s.ReadOnly || s.Dynamic || !slices.Contains(s.Programs, strings.Fields(c)[0]) {
					benignRefused++
					t.Errorf("%q: a read-only find not read as one (%v)", line, err)
				}
			}
			for _, c := range writing {
				line := f + " " + tm.action + " " + c + " {} " + tm.end
				writes++
				s, err := Parse(line)
				if err != nil {
					continue // refused as unreadable
				}
				if s.ReadOnly || !slices.Contains(s.Programs, strings.Fields(c)[0]) {
					writesMissed++
					t.Errorf("%q: read-only or %s not listed: %v", line, strings.Fields(c)[0], s.Programs)
				}
			}
		}
	}
	// A "+" that does not follow {} (or follows it under -ok) ends
	// nothing: what comes after it is the same command's.
	hidden, hiddenMissed := 0, 0
	for _, f := range finds {
		for _, w := range []string{"sudo -u", "sudo -g", "env", "timeout 5", "nice -n", "ionice -c"} {
			for _, a := range []string{"-exec", "-execdir"} {
				line := f + " " + a + " " + w + " + rm -rf /srv/x \\;"
				hidden++
				if s, err := Parse(line); err == nil && !slices.Contains(s.Programs, "rm") && !s.Dynamic {
					hiddenMissed++
					t.Errorf("%q: rm not listed: %v", line, s.Programs)
				}
			}
			for _, a := range []string{"-ok", "-okdir"} {
				// -ok takes no "+": find . -ok sudo -u + rm -rf x {} + \;
				// asks, then runs rm through sudo.
				line := f + " " + a + " " + w + " + rm -rf /srv/x {} + \\;"
				hidden++
				if s, err := Parse(line); err == nil && !slices.Contains(s.Programs, "rm") && !s.Dynamic {
					hiddenMissed++
					t.Errorf("%q: rm not listed: %v", line, s.Programs)
				}
			}
		}
	}
	found, foundMissed := 0, 0
	for _, f := range finds {
		for _, p := range []string{"{}", "'{}'", "\"{}\"", "./{}", "/srv/{}", "sudo {}", "env {}", "sudo '{}'"} {
			for _, tm := range terms {
				line := f + " " + tm.action + " " + p + " " + tm.end
				found++
				if s, err := Parse(line); err == nil && (!s.Dynamic || s.ReadOnly) {
					foundMissed++
					t.Errorf("%q: a found file run as a program, not dynamic", line)
				}
			}
		}
	}
	t.Logf("%d of %d read-only finds refused; %d of %d writing ones read-only; %d of %d hidden commands missed; %d of %d found programs not dynamic",
		benignRefused, benign, writesMissed, writes, hiddenMissed, hidden, foundMissed, found)
}
