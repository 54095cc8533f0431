package shell

import "strings"

// Options whose value is a command the program runs: man -P (the pager),
// tar -I and --use-compress-program, --to-command, --checkpoint-action
// exec=, --info-script, --rsh-command, sort --compress-program, rsync -e,
// ssh -o ProxyCommand/LocalCommand/KnownHostsCommand, scp and sftp -S,
// sftp -D, zip -TT, sdiff and diff3 --diff-program, tcpdump -z, wget
// --use-askpass. Their values are parsed as command lines, so the
// programs they run are listed and judged (man -P 'rm -rf ~/x' ls lists
// rm).

// commandOption is one option of a program whose value is a command.
type commandOption struct {
	short  byte   // the short option letter, 0 for none
	long   string // the long option, "" for none
	prefix string // a prefix the value carries before the command (exec=)
}

// commandOptions are the programs with such options.
var commandOptions = map[string][]commandOption{
	"man":     {{short: 'P', long: "--pager"}, {short: 'H', long: "--html"}},
	"tar":     {{short: 'I', long: "--use-compress-program"}, {long: "--to-command"}, {long: "--checkpoint-action", prefix: "exec="}, {short: 'F', long: "--info-script"}, {long: "--new-volume-script"}, {long: "--rsh-command"}, {long: "--rmt-command"}},
	"sort":    {{long: "--compress-program"}},
	"rsync":   {{short: 'e', long: "--rsh"}},
	"scp":     {{short: 'S'}},
	"sftp":    {{short: 'S'}, {short: 'D'}},
	"zip":     {{long: "--unzip-command"}},
	"sdiff":   {{long: "--diff-program"}},
	"diff3":   {{long: "--diff-program"}},
	"tcpdump": {{short: 'z'}},
	"wget":    {{long: "--use-askpass"}},
}

// sshCommandKeys are ssh configuration keys whose value is a command
// (given as -o Key=value or -o "Key value").
var sshCommandKeys = setOf(`proxycommand localcommand knownhostscommand`)

// optionCommands returns the commands the options of prog in args name.
func optionCommands(prog string, args []string) []string {
	var out []string
	if prog == "ssh" || prog == "scp" || prog == "sftp" {
		out = append(out, sshOptionCommands(args)...)
	}
	if prog == "zip" {
		for i, a := range args {
			if a == "-TT" && i+1 < len(args) {
				out = append(out, args[i+1])
			} else if v, ok := strings.CutPrefix(a, "-TT="); ok {
				out = append(out, v)
			}
		}
	}
	for _, o := range commandOptions[prog] {
		for _, v := range optionValues(args, o) {
			if rest, ok := strings.CutPrefix(v, o.prefix); ok {
				out = append(out, rest)
			}
		}
	}
	return out
}

// optionValues returns the values args give the option o, in every
// spelling getopt takes: -Xvalue, -X value (also at the end of a bundle),
// --long=value, --long value, and a long option's unambiguous prefix.
func optionValues(args []string, o commandOption) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		next := func() string {
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case strings.HasPrefix(a, "--") && o.long != "":
			name, value, attached := strings.Cut(a, "=")
			if len(name) < 3 || !strings.HasPrefix(o.long, name) {
				continue
			}
			if !attached {
				value = next()
			}
			out = append(out, value)
		case len(a) > 1 && a[0] == '-' && a[1] != '-' && o.short != 0:
			if k := strings.IndexByte(a[1:], o.short); k >= 0 {
				value := a[k+2:]
				if value == "" {
					value = next()
				}
				out = append(out, value)
			}
		}
	}
	return out
}

// sshOptionCommands returns the commands of ssh -o options that name one.
func sshOptionCommands(args []string) []string {
	var out []string
	for _, v := range optionValues(args, commandOption{short: 'o'}) {
		key, value, ok := strings.Cut(v, "=")
		if !ok {
			key, value, ok = strings.Cut(strings.TrimSpace(v), " ")
		}
		if ok && sshCommandKeys[strings.ToLower(strings.TrimSpace(key))] {
			out = append(out, strings.TrimSpace(value))
		}
	}
	return out
}
