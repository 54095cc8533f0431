package postgres

import (
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
)

// fixedParameters are the settings the server reports (ParameterStatus)
// whose values come from a fixed vocabulary or the catalog's role names:
// no statement can put a value it read into them.
var fixedParameters = map[string]bool{
	"client_encoding": true, "standard_conforming_strings": true, "datestyle": true, "intervalstyle": true,
	"integer_datetimes": true, "is_superuser": true, "server_encoding": true, "server_version": true,
	"default_transaction_read_only": true, "in_hot_standby": true, "session_authorization": true,
	"scram_iterations": true,
}

// maskedValue is what a masking session gets in place of a reported
// setting or a notification payload it may not see.
const maskedValue = "[masked]"

// parameterStatus passes on a setting the server reports. A statement
// may store any value it computes in a reported setting
// (set_config('application_name', card, false); a TimeZone's
// abbreviation holds letters), and the server reports it on its own,
// outside every result: so, under a decision that masks (a field rule
// covering a column of the database, or detectors), a free-text setting
// is reported as "[masked]", unless it is back at the value the session
// started with (which the client chose).
//
// The setting is recorded as the client sees it ("<name> = <value>",
// stream "setting") before it is passed on.
func (c *conn) parameterStatus(bs *backendState, ps *pgproto3.ParameterStatus, raw []byte) error {
	withhold, err := c.withholdParameter(bs, ps)
	if err != nil {
		return err
	}
	value := ps.Value
	if withhold {
		value = maskedValue
	}
	if err := c.recordText(c.asyncDecision(), "setting", ps.Name+" = "+value); err != nil {
		return err
	}
	if withhold {
		return c.sendMsg(&pgproto3.ParameterStatus{Name: ps.Name, Value: value})
	}
	return c.send(raw)
}

// withholdParameter reports whether the reported setting ps must reach
// the client as maskedValue (see parameterStatus).
func (c *conn) withholdParameter(bs *backendState, ps *pgproto3.ParameterStatus) (bool, error) {
	if fixedParameters[strings.ToLower(ps.Name)] || c.startedWith(ps.Name, ps.Value) {
		return false, nil
	}
	p := bs.last
	if h := c.q.peek(); h != nil && h.policy != nil {
		p = h.policy
	}
	if p == nil {
		return false, nil
	}
	rep, err := c.srv.catalog.representative(c.ctx, p)
	if err != nil {
		return false, err
	}
	return rep != "" || len(p.Detectors()) > 0, nil
}

// startedWith reports whether value is what the server reported for the
// setting name when the session started.
func (c *conn) startedWith(name, value string) bool {
	for k, v := range c.welcome {
		if strings.EqualFold(k, name) {
			return v == value
		}
	}
	return false
}
