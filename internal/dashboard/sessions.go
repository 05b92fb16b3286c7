package dashboard

import (
	"net/http"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

type sessionsData struct {
	Sessions []paylinks.CheckoutSession
	First    bool
	Next     string // the cursor of the next (older) page, "" on the last
}

// Sessions serves GET /dashboard/sessions: the account's checkout sessions
// in the mode, newest first, by keyset cursor (?after=), each with its
// status as of now (open, complete, expired; any other a kind of session
// reports is shown as it is).
func (h *Handler) Sessions(w http.ResponseWriter, r *http.Request, s *session) {
	p := service.CursorPage{Limit: linksPerPage}
	if a := r.URL.Query().Get("after"); a != "" {
		id, ok := paylinks.ParseSessionID(a)
		if !ok {
			h.message(w, r, s, http.StatusBadRequest, "Not valid", "The page cursor is not a session of this list.")
			return
		}
		p.After = &id
	}
	page, err := h.svc.SessionPage(r.Context(), s.pr, p)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := sessionsData{Sessions: page.Items, First: p.After == nil}
	if page.HasMore && len(page.Items) > 0 {
		d.Next = paylinks.FormatSessionID(page.Items[len(page.Items)-1].ID)
	}
	v := h.newView(s, "Checkout sessions")
	v.Nav, v.Data = "sessions", d
	h.render(w, r, http.StatusOK, "sessions", v)
}
