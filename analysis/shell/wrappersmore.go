package shell

import "strings"

// More programs that run the program their arguments name: with none of
// them in the wrapper table, fakeroot rm -rf ~/x listed fakeroot alone,
// and a rule that denies rm by name let it run. Each is read as the table
// reads a wrapper (an option it does not list makes the program unknown:
// ssh.dynamic); runcon, perf and faketime take a word before the
// program, setarch its architecture.
func init() {
	archFlags := "RFZLXBIST3v"
	archLong := []string{"--addr-no-randomize", "--fdpic-funcptrs", "--mmap-page-zero", "--addr-compat-layout",
		"--read-implies-exec", "--32bit", "--short-inode", "--whole-seconds", "--sticky-timeouts", "--3gb", "--4gb",
		"--uname-2.6", "--verbose"}
	more := map[string]wrapper{
		"setarch":   {positional: 1},
		"runcon":    {positional: 1},
		"perf":      {positional: 1},
		"faketime":  {positional: 1, flags: "mf", longFlags: []string{"--exclude-monotonic"}, valueOpts: []string{"--date-prog"}},
		"fakeroot":  {valueOpts: []string{"-l", "--lib", "--faked", "-s", "-i", "-b"}, flags: "uhv", longFlags: []string{"--unknown-is-real"}},
		"eatmydata": {},
		"prlimit":   {valueOpts: []string{"-p", "--pid", "-o", "--output"}},
		"numactl": {valueOpts: []string{"-C", "-N", "-m", "-i", "-p", "-P", "--cpunodebind", "--physcpubind", "--membind",
			"--interleave", "--preferred", "--preferred-many", "--weighted-interleave"}, flags: "al", longFlags: []string{"--all", "--localalloc"}},
		"chronic": {flags: "ev"},
		"xvfb-run": {valueOpts: []string{"-n", "--server-num", "-e", "--error-file", "-f", "--auth-file", "-p", "--xauth-protocol",
			"-s", "--server-args", "-w", "--wait"}, flags: "al", longFlags: []string{"--auto-servernum", "--listen-tcp"}},
		"dbus-launch": {valueOpts: []string{"--config-file"}, longFlags: []string{"--sh-syntax", "--csh-syntax", "--auto-syntax",
			"--binary-syntax", "--close-stderr", "--exit-with-session", "--exit-with-x11"}},
		"dbus-run-session": {valueOpts: []string{"--config-file", "--dbus-daemon"}},
		"bwrap":            {},
		"cpulimit": {valueOpts: []string{"-l", "--limit", "-p", "--pid", "-e", "--exe"}, flags: "zkrvifq",
			longFlags: []string{"--lazy", "--kill", "--restore", "--verbose", "--include-children", "--foreground", "--quiet"}},
		"cgexec":            {valueOpts: []string{"-g"}, longFlags: []string{"--sticky"}},
		"trickle":           {valueOpts: []string{"-u", "-d", "-w", "-t", "-l", "-n"}, flags: "hvsV"},
		"mpirun":            {},
		"mpiexec":           {},
		"srun":              {},
		"entr":              {flags: "acdnprz"},
		"nq":                {flags: "cq"},
		"tsp":               {},
		"daemonize":         {valueOpts: []string{"-a", "-c", "-e", "-o", "-p", "-l", "-u", "-E"}, flags: "v"},
		"start-stop-daemon": {},
		"systemd-inhibit":   {valueOpts: []string{"--what", "--who", "--why", "--mode"}},
		"flatpak-spawn":     {},
		"sandbox-exec":      {},
		"proot":             {},
		"watchexec":         {},
	}
	for _, alias := range []string{"linux32", "linux64", "i386", "x86_64", "i686", "uname26"} {
		more[alias] = wrapper{flags: archFlags, longFlags: archLong}
	}
	for name, w := range more {
		if _, ok := wrappers[name]; !ok {
			wrappers[name] = w
		}
	}
}

// shellWithoutProgram are the wrappers that start a shell, reading
// commands from the input, when no program follows them.
var shellWithoutProgram = setOf(`chroot fakeroot firejail unshare nsenter setarch linux32 linux64 i386 x86_64 i686
	uname26 bwrap proot dbus-run-session`)

// scriptWrappers run the rest of their arguments as a shell command line
// (watch, and watchexec, which runs its command through a shell).
var scriptWrappers = setOf(`watch watchexec`)

// templateWrappers compose the commands they run at run time from their
// input or their arguments (GNU parallel and sem): the programs are not
// known.
var templateWrappers = setOf(`parallel sem`)

// A program in no table may run the program its arguments name as well
// (sshpass -p x rm, gosu user rm, tini -- rm, uv run rm, logsave f rm:
// the wrappers are too many to list). So an unknown program given, as an
// argument that is not an option, the name of a program the gate knows
// has what follows judged as a command of its own: rm is listed, and a
// rule that denies it by name sees it. The unknown program itself is not
// read-only, so an allow-list of programs refuses the line already.

// knownName reports whether name is a program the gate knows: one of
// the read-only table, a wrapper, a shell, an interpreter, a program that
// takes commands from its input, a network client, or one of the
// programs that write, delete or change the system.
func knownName(name string) bool {
	if _, ok := readOnlyPrograms[name]; ok {
		return true
	}
	if _, ok := wrappers[name]; ok {
		return true
	}
	_, interp := interpreters[family(name)]
	return interp || shells[name] || shells[family(name)] || commandChannels[name] || networkClients[name] ||
		namedWriters[name] || changers[name] || lookups[name]
}

// lookups take a program's name to look it up, not to run it (man rm,
// dpkg -S /bin/rm, readelf -a /bin/rm).
var lookups = setOf(`man whatis apropos info pinfo tldr help whereis ldd readelf objdump nm size dpkg rpm apt apt-get
	apt-cache apt-file dnf yum pacman getcap namei lsattr update-alternatives`)

// changers are programs that delete, overwrite or change the system.
var changers = setOf(`rm shred unlink rmdir dd mkfs wipefs truncate mv cp ln chmod chown chgrp chattr setfacl kill pkill
	killall reboot shutdown halt poweroff systemctl crontab at batch useradd userdel usermod passwd chpasswd tee install
	touch mkdir sudo su doas git sed awk find xargs tar rsync curl wget mount umount iptables nft ip`)

// shellOnly are builtins no other program can run: as the argument of a
// program they name nothing it runs (direnv exec . rm runs rm).
var shellOnly = setOf(`. : exec source eval builtin command set shopt alias cd export unset declare local readonly trap`)

// possibleWrapper judges, for a program in no table, the first argument
// that names a known program and what follows it as a command, and an
// argument that is a command line whose first word names one (mispipe
// 'rm -rf d' cat) as a script.
func (a *analyzer) possibleWrapper(args []wordValue, depth int) error {
	for i, w := range args {
		if w.dynamic || w.glob || strings.HasPrefix(w.text, "-") {
			continue
		}
		if f := strings.Fields(w.text); len(f) > 1 && knownName(basename(f[0])) && !shellOnly[f[0]] {
			if a.script(args[i:i+1], depth) != nil {
				// Prose that does not parse (jira comment "rm it, it's
				// old"): what it would run is not known.
				a.out.Dynamic = true
			}
			return nil
		}
		if shellOnly[w.text] || !knownName(basename(w.text)) {
			continue
		}
		return a.run(args[i:], nil, depth, true)
	}
	return nil
}
