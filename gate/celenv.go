package gate

import (
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
)

// The CEL variables rules see are the vocabulary (vocabulary.go). Hot scalar
// fields are declared as flat, dotted variables ("request.protocol") so the
// interpreter resolves them with one lookup instead of a field selection on
// an object; structured lists (sql.statements, ssh.commands) are native Go
// types. A name that is not declared is a load error.

var (
	celEnvOnce sync.Once
	celEnv     *cel.Env
	celEnvErr  error
	celAdapter types.Adapter
)

// ruleEnv returns the shared CEL environment, built once.
func ruleEnv() (*cel.Env, error) {
	celEnvOnce.Do(func() {
		native := []any{ext.ParseStructTags(true)}
		for _, t := range objectTypes {
			native = append(native, t)
		}
		opts := []cel.EnvOption{
			ext.NativeTypes(native...),
			ext.Strings(),
			ext.Sets(),
			ext.Lists(),
			cel.DefaultUTCTimeZone(true),
		}
		for _, v := range vocabulary {
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
	emptyStrMap   = map[string]string{}
	nullValue     = types.NullValue
)
