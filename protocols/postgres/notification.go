package postgres

import "github.com/jackc/pgx/v5/pgproto3"

// notification passes on a NotificationResponse under the latest
// decision's policy. Any session may fill a payload with any value, a
// value computed from a masked column included, so the payload is masked
// whole: as a column a field rule covers when the policy has one; under
// a policy that masks with detectors only, withheld ("[masked]"), as an
// untraceable result column is, since no detector knows a card turned
// into letters.
func (c *conn) notification(bs *backendState, body, raw []byte) error {
	var n pgproto3.NotificationResponse
	if err := n.Decode(body); err != nil {
		return err
	}
	p := bs.last
	if p == nil {
		return c.send(raw)
	}
	field, err := c.notificationField(p)
	if err != nil {
		return err
	}
	if field == "" && len(p.Detectors()) > 0 {
		n.Payload = maskedValue
		return c.sendMsg(&n)
	}
	v, _, err := p.Value(field, n.Payload)
	if err != nil {
		return err
	}
	if v != n.Payload {
		n.Payload = v
		return c.sendMsg(&n)
	}
	return c.send(raw)
}
