package gate

import (
	"reflect"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
)

// The CEL variables rules see. Hot scalar fields are declared as flat,
// dotted variables ("request.protocol") so the interpreter resolves them with
// one switch instead of a field selection on an object; structured lists
// (sql.statements, ssh.commands) are native Go types. A name that is not
// declared here is a load error.
var celVariables = []struct {
	name string
	typ  *cel.Type
}{
	{"identity.subject", cel.StringType},
	{"identity.name", cel.StringType},
	{"identity.groups", cel.ListType(cel.StringType)},
	{"identity.claims", cel.MapType(cel.StringType, cel.DynType)},
	{"identity.kind", cel.StringType},

	{"session.id", cel.StringType},
	{"session.protocol", cel.StringType},
	{"session.target", cel.StringType},
	{"session.client_addr", cel.StringType},
	{"session.requests", cel.IntType},
	{"session.denied", cel.IntType},
	{"session.requests_last_minute", cel.IntType},
	// session.grants: the active grants of the identity, each a map with
	// id, rules, scope, protocol, target, expires_at, uses, uses_left (-1:
	// only the TTL bounds it) and granted_by (reviewer subjects).
	{"session.grants", cel.ListType(cel.MapType(cel.StringType, cel.DynType))},

	{"request.protocol", cel.StringType},
	{"request.command", cel.StringType},
	{"request.time", cel.TimestampType},
	{"request.reason", cel.StringType},

	{"sql.statements", cel.ListType(cel.ObjectType("gate.SQLStatement"))},
	{"sql.params", cel.ListType(cel.StringType)},

	{"ssh.kind", cel.StringType},
	{"ssh.command", cel.StringType},
	{"ssh.programs", cel.ListType(cel.StringType)},
	{"ssh.commands", cel.ListType(cel.ObjectType("gate.SSHCommand"))},
	{"ssh.argv", cel.ListType(cel.StringType)},
	{"ssh.dynamic", cel.BoolType},
	{"ssh.pipes_to_shell", cel.BoolType},
	{"ssh.interpreter_inline", cel.BoolType},
	{"ssh.network", cel.BoolType},
	{"ssh.runs_unseen_code", cel.BoolType},
	{"ssh.read_only", cel.BoolType},
	{"ssh.subsystem", cel.StringType},
	{"ssh.operation", cel.StringType},
	{"ssh.path", cel.StringType},
	{"ssh.target_path", cel.StringType},
	{"ssh.host", cel.StringType},
	{"ssh.port", cel.IntType},
	{"ssh.env_name", cel.StringType},
	{"ssh.env_value", cel.StringType},

	{"http.method", cel.StringType},
	{"http.path", cel.StringType},
	{"http.host", cel.StringType},
	{"http.query", cel.MapType(cel.StringType, cel.ListType(cel.StringType))},
	{"http.headers", cel.MapType(cel.StringType, cel.ListType(cel.StringType))},
	{"http.body", cel.DynType},

	{"tool.kind", cel.StringType},
	{"tool.name", cel.StringType},
	{"tool.args", cel.MapType(cel.StringType, cel.DynType)},
	{"tool.uri", cel.StringType},
}

var (
	celEnvOnce sync.Once
	celEnv     *cel.Env
	celEnvErr  error
	celAdapter types.Adapter
)

// ruleEnv returns the shared CEL environment, built once.
func ruleEnv() (*cel.Env, error) {
	celEnvOnce.Do(func() {
		opts := []cel.EnvOption{
			ext.NativeTypes(ext.ParseStructTags(true),
				reflect.TypeFor[SQLStatement](), reflect.TypeFor[SQLTable](), reflect.TypeFor[SSHCommand](), reflect.TypeFor[SSHRedirect]()),
			ext.Strings(),
			ext.Sets(),
			ext.Lists(),
			cel.DefaultUTCTimeZone(true),
		}
		for _, v := range celVariables {
			opts = append(opts, cel.Variable(v.name, v.typ))
		}
		celEnv, celEnvErr = cel.NewEnv(opts...)
		if celEnvErr == nil {
			celAdapter = celEnv.CELTypeAdapter()
		}
	})
	return celEnv, celEnvErr
}

// Values handed to CEL for absent attributes, shared and never modified.
var (
	emptyStrings  = types.NewStringList(types.DefaultTypeAdapter, nil)
	emptyMap      = map[string]any{}
	emptyStrLists = map[string][]string{}
)
