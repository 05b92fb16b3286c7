package dashboard

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks"
)

// exportHeader is the first line of a CSV export of payments.
var exportHeader = []string{"id", "created", "status", "amount", "currency", "captured", "refunded",
	"card_brand", "card_last4", "email", "description", "link_id", "failure_code"}

// csvCell guards a cell against formula injection: a spreadsheet runs a
// cell that starts with = + - @ (or a tab or carriage return) as a
// formula, so such a cell starts with a quote instead. encoding/csv quotes
// the cell when it holds a comma, quote or line break.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportRow is the CSV line of a charge.
func exportRow(c *paylinks.Charge) []string {
	link := ""
	if c.LinkID != nil {
		link = paylinks.FormatBase36(*c.LinkID)
	}
	row := []string{paylinks.FormatBase36(c.ID), c.CreatedAt.UTC().Format(time.RFC3339), chargeStatus(*c),
		paylinks.FormatDecimal(c.Amount, c.Currency), c.Currency,
		paylinks.FormatDecimal(c.CapturedAmount, c.Currency), paylinks.FormatDecimal(c.RefundedAmount, c.Currency),
		c.Card.Brand, c.Card.LastDigits, c.Email, c.Description, link, c.FailureCode}
	for i := range row {
		row[i] = csvCell(row[i])
	}
	return row
}

// ExportPayments serves GET /dashboard/payments/export?from=YYYY-MM-DD&to=YYYY-MM-DD:
// the charges of those UTC days (both included), oldest first, as CSV. The
// rows are written as the service reads them, a page at a time: an export
// of any size is never held in memory.
func (h *Handler) ExportPayments(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	from, errFrom := time.Parse(time.DateOnly, q.Get("from"))
	to, errTo := time.Parse(time.DateOnly, q.Get("to"))
	if errFrom != nil || errTo != nil {
		h.message(w, r, s, http.StatusBadRequest, "Not valid", "Give the range as two dates, like 2026-01-01 and 2026-01-31.")
		return
	}
	cw := csv.NewWriter(w)
	started := false
	start := func() {
		started = true
		hd := w.Header()
		hd.Set("Content-Type", "text/csv; charset=utf-8")
		hd.Set("Content-Disposition", `attachment; filename="payments-`+from.Format(time.DateOnly)+`-`+to.Format(time.DateOnly)+`.csv"`)
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		cw.Write(exportHeader)
	}
	n := 0
	err := h.svc.ExportCharges(r.Context(), s.pr, from, to.AddDate(0, 0, 1), func(c *paylinks.Charge) error {
		if !started {
			start()
		}
		n++
		return cw.Write(exportRow(c))
	})
	if err != nil {
		if !started {
			if paylinks.KindOf(err) == paylinks.KindInvalid {
				h.message(w, r, s, http.StatusBadRequest, "Not valid", paylinks.AsError(err).Message)
				return
			}
			h.fail(w, r, s, err)
			return
		}
		// The status is sent: cut the download short, so that it is not
		// mistaken for a whole export.
		h.log.ErrorContext(r.Context(), "dashboard: export cut short", "rows", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	if !started {
		start()
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		h.log.WarnContext(r.Context(), "dashboard: export", "rows", strconv.Itoa(n), "err", err)
	}
}
