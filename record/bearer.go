package record

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// bearerDo sends req with token as its bearer credential; errPrefix
// starts a transport error ("record: anchor" gives "record: anchor: ...").
func bearerDo(client *http.Client, req *http.Request, token, errPrefix string) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", errPrefix, err)
	}
	return resp, nil
}

// bearerPost posts body (of contentType) with token as bearer credential
// and fails unless the answer is 200 OK, with an error that starts with
// answered and quotes the first 4 KiB of the answer.
func bearerPost(ctx context.Context, client *http.Client, url, token, contentType string, body io.Reader, errPrefix, answered string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, body)
	if err != nil {
		return fmt.Errorf("%s: %w", errPrefix, err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := bearerDo(client, req, token, errPrefix)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", answered, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

// authorized reports whether r carries token as its bearer credential (an
// empty token authorizes nobody); if not, it has answered 401 with a
// challenge for realm.
func authorized(w http.ResponseWriter, r *http.Request, token, realm string) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" || !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return false
	}
	return true
}
