package postgres

import (
	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/mask"
	"github.com/jackc/pgx/v5/pgproto3"
)

// notification passes on a NotificationResponse under the latest
// decision's policy. Any session may fill a payload with any value, a
// value computed from a masked column included, so the payload is masked
// whole: as a column a field rule covers when the policy has one; under
// a policy that masks with detectors only, withheld ("[masked]"), as an
// untraceable result column is, since no detector knows a card turned
// into letters. Its channel is masked too ("[masked]") unless the client
// named it in a LISTEN of its own (channels.go).
//
// The notification is recorded as the client sees it ("<channel>:
// <payload>", stream "notification") before it is passed on.
func (c *conn) notification(bs *backendState, body, raw []byte) error {
	var n pgproto3.NotificationResponse
	if err := n.Decode(body); err != nil {
		return err
	}
	changed, err := c.maskNotification(bs.last, &n)
	if err != nil {
		return err
	}
	if err := c.recordText(c.asyncDecision(), "notification", n.Channel+": "+n.Payload); err != nil {
		return err
	}
	if changed {
		return c.sendMsg(&n)
	}
	return c.send(raw)
}

// maskNotification masks n's payload under p (see notification) and
// reports whether it changed.
func (c *conn) maskNotification(p *mask.Policy, n *pgproto3.NotificationResponse) (bool, error) {
	if p == nil {
		return false, nil
	}
	changed := false
	if !c.listened.has(n.Channel) {
		// Code the gateway cannot see listened on a name it computed.
		n.Channel, changed = maskedValue, true
	}
	field, err := c.notificationField(p)
	if err != nil {
		return false, err
	}
	if field == "" && len(p.Detectors()) > 0 {
		n.Payload = maskedValue
		return true, nil
	}
	v, _, err := p.Value(field, n.Payload)
	if err != nil {
		return false, err
	}
	changed = changed || v != n.Payload
	n.Payload = v
	return changed, nil
}

// asyncDecision is the decision a message the server sends on its own
// (a notification, a reported setting) is recorded under: that of the
// request the server is answering, if any.
func (c *conn) asyncDecision() *gate.Decision {
	if h := c.q.peek(); h != nil {
		return h.decision
	}
	return nil
}
