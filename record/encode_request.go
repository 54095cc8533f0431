package record

import "github.com/airlock-sdk/airlock/gate"

// The fields of gate.Request and its protocol attributes, in the order and
// with the omissions of their struct tags.

func (e *encoder) request(b []byte, r *gate.Request) []byte {
	start := len(b)
	b = append(b, `{"protocol":`...)
	b = e.fixed(appendString(b, r.Protocol), start+1)
	b = append(b, `,"command":`...)
	b = appendString(b, r.Command)
	b = e.bytesField(b, `,"payload":`, r.Payload)
	b = e.fixedTime(b, `,"time":`, r.Time)
	b = optStr(b, `,"reason":`, r.Reason)
	if r.SQL != nil {
		b = append(b, `,"sql":`...)
		b = e.sql(b, r.SQL, r.Command)
	}
	if r.SSH != nil {
		b = append(b, `,"ssh":`...)
		b = e.ssh(b, r.SSH)
	}
	if r.HTTP != nil {
		b = append(b, `,"http":`...)
		b = e.http(b, r.HTTP)
	}
	if r.Tool != nil {
		b = append(b, `,"tool":`...)
		b = e.tool(b, r.Tool)
	}
	return append(b, '}')
}

// sql writes s; a statement text equal to command, the request's command
// written (and scanned) before it, is a gap of the free-text scan.
func (e *encoder) sql(b []byte, s *gate.SQL, command string) []byte {
	b = append(b, `{"statements":`...)
	if s.Statements == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, "["...)
		for i := range s.Statements {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.statement(b, &s.Statements[i], command)
		}
		b = append(b, ']')
	}
	b = optStrings(b, `,"params":`, s.Params)
	if len(s.Settings) > 0 {
		b = append(b, `,"settings":`...)
		b = appendSortedMap(b, s.Settings, appendString)
	}
	return append(b, '}')
}

func (e *encoder) statement(b []byte, s *gate.SQLStatement, command string) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, s.Kind)
	if text := len(b); s.Text == command {
		b = e.fixed(optStr(b, `,"text":`, s.Text), text)
	} else {
		b = optStr(b, `,"text":`, s.Text)
	}
	flags := len(b)
	b = e.fixed(appendBool(b, `,"read_only":`, s.ReadOnly), flags)
	if len(s.Tables) > 0 {
		b = append(b, `,"tables":[`...)
		for i, t := range s.Tables {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			start := len(b)
			b = optStr(b, `,"schema":`, t.Schema)
			b = append(b, `,"name":`...)
			b = appendString(b, t.Name)
			b = append(b, `,"access":`...)
			b = appendString(b, t.Access)
			b = closeObj(b, start)
		}
		b = append(b, ']')
	}
	b = optStrings(b, `,"functions":`, s.Functions)
	b = optStrings(b, `,"columns":`, s.Columns)
	flags = len(b)
	b = appendBool(b, `,"has_where":`, s.HasWhere)
	b = e.fixed(appendBool(b, `,"opaque":`, s.Opaque), flags)
	b = optStrings(b, `,"filter_columns":`, s.FilterColumns)
	b = optStrings(b, `,"masked_columns_filtered":`, s.MaskedColumnsFiltered)
	b = optStrings(b, `,"masked_columns_computed":`, s.MaskedColumnsComputed)
	flags = len(b)
	b = appendBool(b, `,"volatile":`, s.Volatile)
	b = e.fixed(appendBool(b, `,"heavy":`, s.Heavy), flags)
	return append(b, '}')
}

func (e *encoder) ssh(b []byte, s *gate.SSH) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, s.Kind)
	b = optStr(b, `,"command":`, s.Command)
	b = optStrings(b, `,"programs":`, s.Programs)
	if len(s.Commands) > 0 {
		b = append(b, `,"commands":[`...)
		for i := range s.Commands {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.sshCommand(b, &s.Commands[i])
		}
		b = append(b, ']')
	}
	b = optStrings(b, `,"argv":`, s.Argv)
	b = appendBool(b, `,"dynamic":`, s.Dynamic)
	b = appendBool(b, `,"pipes_to_shell":`, s.PipesToShell)
	b = appendBool(b, `,"interpreter_inline":`, s.InterpreterInline)
	b = optTrue(b, `,"network":`, s.Network)
	b = optTrue(b, `,"runs_unseen_code":`, s.RunsUnseenCode)
	b = appendBool(b, `,"read_only":`, s.ReadOnly)
	b = optStr(b, `,"subsystem":`, s.Subsystem)
	b = optStr(b, `,"operation":`, s.Operation)
	b = optStr(b, `,"path":`, s.Path)
	b = optStr(b, `,"target_path":`, s.TargetPath)
	b = optStr(b, `,"host":`, s.Host)
	b = optInt(b, `,"port":`, int64(s.Port))
	b = optStr(b, `,"env_name":`, s.EnvName)
	b = optStr(b, `,"env_value":`, s.EnvValue)
	return append(b, '}')
}

func (e *encoder) sshCommand(b []byte, c *gate.SSHCommand) []byte {
	b = append(b, `{"program":`...)
	b = appendString(b, c.Program)
	b = append(b, `,"path":`...)
	b = appendString(b, c.Path)
	b = optStrings(b, `,"args":`, c.Args)
	b = optStrings(b, `,"redirects":`, c.Redirects)
	if len(c.Redirections) > 0 {
		b = append(b, `,"redirections":[`...)
		for i, r := range c.Redirections {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"op":`...)
			b = appendString(b, r.Op)
			b = optStr(b, `,"fd":`, r.FD)
			b = append(b, `,"target":`...)
			b = appendString(b, r.Target)
			b = appendBool(b, `,"write":`, r.Write)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendBool(b, `,"read_only":`, c.ReadOnly)
	return append(b, '}')
}

func (e *encoder) http(b []byte, h *gate.HTTP) []byte {
	b = append(b, `{"method":`...)
	b = appendString(b, h.Method)
	b = append(b, `,"path":`...)
	b = appendString(b, h.Path)
	b = optStr(b, `,"host":`, h.Host)
	if len(h.Query) > 0 {
		b = append(b, `,"query":`...)
		b = appendStringsMap(b, h.Query)
	}
	if len(h.Headers) > 0 {
		b = append(b, `,"headers":`...)
		b = appendStringsMap(b, h.Headers)
	}
	if h.Body != nil {
		b = append(b, `,"body":`...)
		b = e.value(b, h.Body, 1)
	}
	return append(b, '}')
}

func (e *encoder) tool(b []byte, t *gate.ToolCall) []byte {
	b = append(b, '{')
	start := len(b)
	b = optStr(b, `,"kind":`, t.Kind)
	b = append(b, `,"name":`...)
	b = appendString(b, t.Name)
	if len(t.Args) > 0 {
		b = append(b, `,"args":`...)
		b = e.object(b, t.Args, 1)
	}
	b = optStr(b, `,"uri":`, t.URI)
	return closeObj(b, start)
}
