package dashboard

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/paylinks/paylinks"
)

// maxNewRows bounds the rows one live update adds; a page further behind
// fetches the rest on its next poll.
const maxNewRows = 50

// NewPayments serves GET /dashboard/payments/new?after={id}: the rows of
// the charges made after the charge id (oldest first; with no id, the
// newest charge), as an HTML fragment for the pages' live updates, with
// the newest one's id in X-Newest; 204 when there is none. The pages poll
// it every few seconds: each poll is one short request, so a page left
// open holds no database connection, and any replica answers it.
func (h *Handler) NewPayments(w http.ResponseWriter, r *http.Request, s *session) {
	var after *paylinks.ID
	if a := r.URL.Query().Get("after"); a != "" {
		id, ok := paylinks.ParseBase36(a)
		if !ok {
			http.Error(w, "the cursor is not a payment", http.StatusBadRequest)
			return
		}
		after = &id
	}
	cs, err := h.svc.NewCharges(r.Context(), s.pr, after, maxNewRows)
	if err != nil {
		if paylinks.KindOf(err) == paylinks.KindInvalid {
			http.Error(w, paylinks.AsError(err).Message, http.StatusBadRequest)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	if len(cs) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var b bytes.Buffer
	for i := range cs {
		if err := h.pages["payments"].ExecuteTemplate(&b, "charge_row", cs[i]); err != nil {
			h.log.ErrorContext(r.Context(), "dashboard: render rows", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
	}
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("X-Newest", paylinks.FormatBase36(cs[len(cs)-1].ID))
	hd.Set("Content-Length", strconv.Itoa(b.Len()))
	w.Write(b.Bytes())
}
