package shell

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
