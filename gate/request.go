package gate

import "time"

// Protocol names used in Request.Protocol and Session.Protocol.
const (
	ProtocolPostgres = "postgres"
	ProtocolSSH      = "ssh"
	ProtocolHTTP     = "http"
	ProtocolTool     = "tool"
	ProtocolMCP      = "mcp"
)

// Request is one unit of intent crossing the gate: a SQL message, a shell
// command, an HTTP request, a tool call. Exactly one of the protocol
// attribute fields is set, matching Protocol.
type Request struct {
	// Session the request belongs to; required.
	Session *Session `json:"-"`
	// Protocol is one of the Protocol constants.
	Protocol string `json:"protocol"`
	// Command is the human-readable intent: SQL text, a shell command,
	// "GET /v1/users", a tool name with its arguments.
	Command string `json:"command"`
	// Payload is the exact bytes the request forwards, when they differ from
	// Command. An approval is bound to Command and Payload together.
	Payload []byte `json:"payload,omitempty"`
	// Time of the request; Check fills it in when zero.
	Time time.Time `json:"time"`
	// Secrets lists literal values inside Command or the attributes that must
	// never be stored raw (a password in ALTER ROLE, an Authorization header).
	// Recorders store each as a keyed HMAC.
	Secrets []string `json:"-"`
	// Reason is the requester's own justification, when the protocol found
	// one outside the places the gate looks itself (an MCP request's
	// _meta.reason). When empty, Check fills it from the Airlock-Reason HTTP
	// header, a SQL comment /* reason: ... */ or a tool argument
	// "airlock_reason" (see RequesterReason). Rules see it as request.reason.
	Reason string `json:"reason,omitempty"`

	SQL  *SQL      `json:"sql,omitempty"`
	SSH  *SSH      `json:"ssh,omitempty"`
	HTTP *HTTP     `json:"http,omitempty"`
	Tool *ToolCall `json:"tool,omitempty"`
}

// SQL is what rules see as `sql`: the statements of one client message,
// classified by the protocols/postgres package.
type SQL struct {
	Statements []SQLStatement `json:"statements" cel:"statements"`
	// Params are the Bind parameter values of an extended-protocol Execute,
	// decoded as text for display; a value that cannot be shown is
	// "<binary N bytes>".
	Params []string `json:"params,omitempty" cel:"params"`
	// Settings are the session settings that change what a statement means
	// (which table an unqualified name is, how '01/12/2026' reads as a
	// date, whether triggers fire), as the server confirmed them before
	// the message runs, by lower-case name: datestyle, intervalstyle,
	// timezone, search_path, role, session_authorization, is_superuser,
	// session_replication_role, row_security, bytea_output,
	// extra_float_digits, lc_monetary, lc_numeric, lc_time,
	// transform_null_equals, ... (the protocol package documents its list).
	// Reviewers are shown them and an approval or exact grant binds them:
	// one given under some settings is not spent under others.
	// A decision's record carries them with the session's first request
	// and again whenever they change: a decision recorded without them was
	// judged under the last ones recorded in its session.
	Settings map[string]string `json:"settings,omitempty" cel:"settings"`
}

// SQLStatement is one parsed statement.
type SQLStatement struct {
	// Kind is the statement's verb in upper case: SELECT, INSERT, UPDATE,
	// DELETE, DROP, TRUNCATE, ALTER, CREATE, COPY, SET, DO, CALL, ...
	Kind string `json:"kind" cel:"kind"`
	// Text is the statement's SQL.
	Text string `json:"text,omitempty" cel:"text"`
	// ReadOnly is true when the statement cannot change data or state.
	ReadOnly bool `json:"read_only" cel:"read_only"`
	// Tables the statement touches, with how.
	Tables []SQLTable `json:"tables,omitempty" cel:"tables"`
	// Functions called, lower case, schema-qualified when written so.
	Functions []string `json:"functions,omitempty" cel:"functions"`
	// Columns referenced.
	Columns []string `json:"columns,omitempty" cel:"columns"`
	// HasWhere is true for an UPDATE or DELETE with a WHERE clause.
	HasWhere bool `json:"has_where" cel:"has_where"`
	// Opaque marks what cannot be judged statically (DO, CALL, EXECUTE,
	// CREATE FUNCTION, COPY ... PROGRAM, SET ROLE).
	Opaque bool `json:"opaque" cel:"opaque"`
	// FilterColumns are the base columns ("table.column", through
	// sub-queries, CTEs and views) the statement uses outside its output
	// list: WHERE, JOIN, GROUP BY, HAVING, ORDER BY, DISTINCT ON, LIMIT,
	// and sub-queries there, and whatever decides how many rows come
	// back, as a predicate does: the arguments of a function in FROM
	// (generate_series, unnest, ROWS FROM, XMLTABLE, JSON_TABLE), a
	// TABLESAMPLE, plain DISTINCT (every output column), and the inputs
	// of a FROM item of a form the analyser does not model. "*" stands for
	// columns that cannot be known (an opaque function or relation).
	FilterColumns []string `json:"filter_columns,omitempty" cel:"filter_columns"`
	// MaskedColumnsFiltered are the FilterColumns a field rule of the rule
	// file's masking section covers (every such column of the database
	// when "*" is among them): a predicate on a masked column reveals it a
	// bit at a time.
	MaskedColumnsFiltered []string `json:"masked_columns_filtered,omitempty" cel:"masked_columns_filtered"`
	// MaskedColumnsComputed are the masked columns (as above) an output
	// expression computes on rather than passes through (lower(name),
	// name::int, CASE WHEN name ... END): the result is masked, but an
	// error or a delay computed from the value is an oracle of its own.
	MaskedColumnsComputed []string `json:"masked_columns_computed,omitempty" cel:"masked_columns_computed"`
	// Volatile is true when the statement calls a function that is
	// volatile, unknown, or whose declared volatility is not trusted.
	Volatile bool `json:"volatile" cel:"volatile"`
	// Heavy is true when the statement calls a function known to cost
	// time or memory out of proportion to its text (pg_sleep,
	// generate_series, repeat, ...).
	Heavy bool `json:"heavy" cel:"heavy"`
}

// SQLTable is a table a statement reads or writes.
type SQLTable struct {
	Schema string `json:"schema,omitempty" cel:"schema"`
	Name   string `json:"name" cel:"name"`
	// Access is "read" or "write".
	Access string `json:"access" cel:"access"`
}

// SSH is what rules see as `ssh`.
type SSH struct {
	// Kind is exec, shell, subsystem, sftp, forward or env.
	Kind string `json:"kind" cel:"kind"`
	// Command is the exec command line, as sent.
	Command string `json:"command,omitempty" cel:"command"`
	// Programs holds the basename of every program the command would run.
	Programs []string `json:"programs,omitempty" cel:"programs"`
	// Commands is every simple command the command line would run, in order.
	Commands []SSHCommand `json:"commands,omitempty" cel:"commands"`
	// Argv flattens the arguments of every simple command.
	Argv []string `json:"argv,omitempty" cel:"argv"`
	// Dynamic: some program name comes from an expansion ($(...), $VAR).
	Dynamic bool `json:"dynamic" cel:"dynamic"`
	// PipesToShell: something is piped into a shell (curl ... | sh).
	PipesToShell bool `json:"pipes_to_shell" cel:"pipes_to_shell"`
	// InterpreterInline: an interpreter runs inline code (python -c, perl -e).
	InterpreterInline bool `json:"interpreter_inline" cel:"interpreter_inline"`
	// Network: the command line opens a network connection — it names
	// /dev/tcp or /dev/udp anywhere (a redirect, an argument, a
	// here-string), or runs a known network client (curl, wget, nc, ssh,
	// mail, DNS lookups, database and cloud clients given a host) or a
	// subcommand that fetches or sends (git push, a package install or
	// publish); see analysis/shell's network.go.
	Network bool `json:"network,omitempty" cel:"network"`
	// RunsUnseenCode: a shell, source or ., an interpreter or awk -f is given
	// a script file: it runs code the gate cannot see.
	RunsUnseenCode bool `json:"runs_unseen_code,omitempty" cel:"runs_unseen_code"`
	// ReadOnly is true when every command of the line only reads: each is
	// read-only (SSHCommand.ReadOnly), nothing is dynamic, piped into a
	// shell, run inline or unseen, and no socket is opened. For sftp, true
	// for read, list and stat operations.
	ReadOnly bool `json:"read_only" cel:"read_only"`
	// Subsystem is the requested subsystem ("sftp").
	Subsystem string `json:"subsystem,omitempty" cel:"subsystem"`
	// Operation is the sftp operation: read, write, remove, rename, mkdir,
	// rmdir, setstat, list, stat, symlink.
	Operation string `json:"operation,omitempty" cel:"operation"`
	// Path is the file the sftp operation acts on.
	Path string `json:"path,omitempty" cel:"path"`
	// TargetPath is the second path of rename and symlink.
	TargetPath string `json:"target_path,omitempty" cel:"target_path"`
	// Host and Port of a forward.
	Host string `json:"host,omitempty" cel:"host"`
	Port int    `json:"port,omitempty" cel:"port"`
	// Env is the name and value of an env request.
	EnvName  string `json:"env_name,omitempty" cel:"env_name"`
	EnvValue string `json:"env_value,omitempty" cel:"env_value"`
}

// SSHCommand is one simple command of a shell command line.
type SSHCommand struct {
	// Program is the basename of the program run.
	Program string `json:"program" cel:"program"`
	// Path is the program as written (/bin/rm).
	Path string `json:"path" cel:"path"`
	// Args are the arguments after the program.
	Args []string `json:"args,omitempty" cel:"args"`
	// Redirects are the redirection targets (files written or read).
	Redirects []string `json:"redirects,omitempty" cel:"redirects"`
	// Redirections are the command's redirections with their operators.
	Redirections []SSHRedirect `json:"redirections,omitempty" cel:"redirections"`
	// ReadOnly is true when the program is known to only read with the
	// options given (cat, ls, grep, find without -delete or -fprint, git rev-parse,
	// sed without -i, ...) and no redirection writes. Unknown programs, a
	// program named by an expansion, and a statement that is only a writing
	// redirection (> file) are not read-only.
	ReadOnly bool `json:"read_only" cel:"read_only"`
}

// SSHRedirect is one redirection of a simple command.
type SSHRedirect struct {
	// Op is the operator as written: >, >>, <, <>, >&, <&, >|, &>, &>>.
	Op string `json:"op" cel:"op"`
	// FD is the descriptor it applies to ("" for the operator's default).
	FD string `json:"fd,omitempty" cel:"fd"`
	// Target is the file (or descriptor number) after quote removal.
	Target string `json:"target" cel:"target"`
	// Write is true when a file may be created, truncated or appended to.
	Write bool `json:"write" cel:"write"`
}

// HTTP is what rules see as `http`.
type HTTP struct {
	Method string `json:"method" cel:"method"`
	// Path is normalised: percent-decoded, dot-segments resolved, slashes
	// collapsed.
	Path    string              `json:"path" cel:"path"`
	Host    string              `json:"host,omitempty" cel:"host"`
	Query   map[string][]string `json:"query,omitempty" cel:"query"`
	Headers map[string][]string `json:"headers,omitempty" cel:"headers"` // lower-case names
	// Body is the decoded JSON body, or nil.
	Body any `json:"body,omitempty" cel:"body"`
}

// ToolCall is what rules see as `tool`: an agent tool call or an MCP request.
type ToolCall struct {
	// Kind is "call" for tool calls; MCP also uses "list", "resource", "prompt".
	Kind string `json:"kind,omitempty" cel:"kind"`
	Name string `json:"name" cel:"name"`
	// Args are the call's arguments as decoded JSON.
	Args map[string]any `json:"args,omitempty" cel:"args"`
	// URI is the resource URI of an MCP resources/read.
	URI string `json:"uri,omitempty" cel:"uri"`
}
