package approval

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/chromedp/chromedp"
)

// reflowCase files three reviews of one requester, oldest first: a decoy,
// the one the reviewer reads, and the one the requester wants approved.
func reflowCase(t *testing.T, mem *Memory) (decoy, read, wanted string) {
	t.Helper()
	ids := make([]string, 3)
	base := time.Now().UTC()
	for i, cmd := range []string{"SELECT 1 FROM decoy_table", "SELECT 1 FROM ready_table", "DROP TABLE users  -- x"} {
		id, err := mem.Submit(context.Background(), gate.ReviewRequest{
			Digest: fmt.Sprintf("d%d-%d", i, base.UnixNano()), Requester: agent, Protocol: "postgres", Command: cmd,
			Policy: gate.ReviewPolicy{}.WithDefaults(), CreatedAt: base.Add(time.Duration(i) * time.Second), ExpiresAt: base.Add(time.Hour),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids[0], ids[1], ids[2]
}

// The requester cannot move another review's Approve button under the
// reviewer's pointer: when the list changes under the reviewer (a review
// above withdrawn or decided), the vote buttons wait a moment before they
// take a click. Before, a decoy leaving the list just as the reviewer
// clicked Approve on the review they had read approved the next one, the
// DROP TABLE, which slid into its place (3 of 3 ways of leaving).
func TestConsoleBrowserReflowApprovesNothingUnread(t *testing.T) {
	leaves := map[string]func(mem *Memory, id string) error{
		"withdrawn": func(mem *Memory, id string) error { return mem.Withdraw(context.Background(), id) },
		"denied by another reviewer": func(mem *Memory, id string) error {
			_, err := mem.Deny(context.Background(), id, bob, "no")
			return err
		},
		"approved by another reviewer": func(mem *Memory, id string) error {
			_, err := mem.Approve(context.Background(), id, bob, "ok")
			return err
		},
	}
	for name, leave := range leaves {
		t.Run(name, func(t *testing.T) { reflowOnce(t, leave) })
	}
}

// reflowOnce is one reflow: the decoy leaves the list by leave.
func reflowOnce(t *testing.T, leave func(mem *Memory, id string) error) {
	ctx := browser(t)
	mem := &Memory{}
	url := serveConsole(t, &Console{Approver: mem, Authenticate: BearerTokens(reviewerTokens)})
	decoy, read, wanted := reflowCase(t, mem)
	if err := chromedp.Do(ctx, login(url, "alice-token"), chromedp.WaitVisible(chromedp.CSS("#live.live:not(.off)")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll("article.card").length === 3`)); err != nil {
		t.Fatal(err)
	}
	// Where the Approve button of the review the reviewer reads is.
	pos, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(
		`(() => { const b = document.querySelector("#review-%s button.approve");
		const r = b.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`, read)))
	if err != nil {
		t.Fatal(err)
	}
	// The requester gives up its decoy; the list moves up under the pointer.
	if err := leave(mem, decoy); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.querySelectorAll("article.card").length === 2`)); err != nil {
		t.Fatal(err)
	}
	under, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(() => { const e = document.elementFromPoint(%f, %f); const a = e && e.closest("article"); return a ? a.dataset.id : ""; })()`, pos[0], pos[1])))
	if err != nil {
		t.Fatal(err)
	}
	if under != wanted {
		t.Fatalf("the fixture did not move the wanted review under the pointer (%q)", under)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(pos[0], pos[1]), chromedp.Sleep(400*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{read, wanted} {
		if p, ok := mem.Get(id); !ok || p.State != gate.ReviewPending {
			t.Fatalf("a click on a button that had just moved under the pointer decided review %s (%s): the reviewer had read %s", id, p.State, read)
		}
	}
	// Once the list has stood still, a click votes as before. The page
	// enables its buttons again by a timer, which a loaded machine runs
	// late: the click waits for the button under the pointer to take it.
	enabled := fmt.Sprintf(`(() => { const b = document.querySelector("#review-%s button.approve"); return b !== null && !b.disabled; })()`, wanted)
	if err := chromedp.Do(ctx, chromedp.Sleep(time.Second), chromedp.Poll[chromedp.Void](enabled), chromedp.MouseClickXY(pos[0], pos[1]),
		chromedp.WaitVisible(`//p[@id="flash"][contains(., "Approved")]`)); err != nil {
		t.Fatal(err)
	}
	if p, _ := mem.Get(wanted); p.State != gate.ReviewApproved {
		t.Fatalf("a click on a settled list did not vote: %s", p.State)
	}
}
