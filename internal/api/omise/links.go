package omise

import (
	"net/http"
	"time"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// CreateLink serves POST /links.
func (h *Handler) CreateLink(w http.ResponseWriter, q *request) error {
	p := q.params
	var lp service.LinkParams
	amount, ok, err := p.amount("amount")
	if err != nil || !ok {
		return paylinks.Invalid("invalid_amount", "amount", "amount is required: a whole, non-negative number of the smallest currency unit, in digits only (no sign, spaces, leading zeros, decimals or exponent)")
	}
	lp.Amount = amount
	if lp.Currency, err = p.str("currency"); err != nil || lp.Currency == "" {
		return paylinks.Invalid("invalid_currency", "currency", "currency is required")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"title", &lp.Title}, {"description", &lp.Description}} {
		if *f.dst, err = p.str(f.name); err != nil {
			return err
		}
		if *f.dst == "" {
			return paylinks.Invalid("bad_request", f.name, "%s is required", f.name)
		}
	}
	if lp.Multiple, _, err = p.bool("multiple"); err != nil {
		return err
	}
	// capture=false: the link's payments are authorized only.
	if capture, ok, err := p.bool("capture"); err != nil {
		return err
	} else if ok {
		lp.ManualCapture = !capture
	}
	l, err := h.svc.CreateLink(q.Context(), q.pr, lp)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, h.renderLink(q, l, nil, 0))
	return nil
}

// linkWithCharges renders a link with its embedded charges list.
func (h *Handler) linkWithCharges(q *request, l *paylinks.Link) (any, error) {
	views, err := h.linksWithCharges(q, []paylinks.Link{*l})
	if err != nil {
		return nil, err
	}
	return views[0], nil
}

// linksWithCharges renders links with their embedded charges lists, reading
// the charges of all of them at once.
func (h *Handler) linksWithCharges(q *request, links []paylinks.Link) ([]any, error) {
	var ids []paylinks.ID // only links with charges need them read
	for i := range links {
		if links[i].ChargeCount > 0 {
			ids = append(ids, links[i].ID)
		}
	}
	var charges map[paylinks.ID][]paylinks.Charge
	if len(ids) > 0 {
		var err error
		if charges, _, err = h.svc.LinkCharges(q.Context(), q.pr, ids, embeddedCharges); err != nil {
			return nil, err
		}
	}
	views := make([]any, len(links))
	for i := range links {
		views[i] = h.renderLink(q, &links[i], charges[links[i].ID], links[i].ChargeCount)
	}
	return views, nil
}

// GetLink serves GET /links/{id}.
func (h *Handler) GetLink(w http.ResponseWriter, q *request) error {
	raw := q.PathValue("id")
	id, err := parseID(prefixLink, raw, q.pr.Livemode)
	if err != nil {
		return err
	}
	l, err := h.svc.GetLink(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	v, err := h.linkWithCharges(q, l)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, v)
	return nil
}

// DeleteLink serves DELETE /links/{id}: 2019-05-29 returns the whole link
// with deleted true; older versions return a Deletion.
func (h *Handler) DeleteLink(w http.ResponseWriter, q *request) error {
	raw := q.PathValue("id")
	id, err := parseID(prefixLink, raw, q.pr.Livemode)
	if err != nil {
		return err
	}
	l, err := h.svc.DeleteLink(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	if !q.modern() {
		api.WriteJSON(w, q.Request, http.StatusOK, deletion{Object: "link", ID: formatID(prefixLink, l.Livemode, l.ID), Livemode: l.Livemode, Deleted: true})
		return nil
	}
	v, err := h.linkWithCharges(q, l)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, v)
	return nil
}

// Omise list defaults. A limit above the maximum is clamped to it, as the
// Omise documentation gives 100 as the maximum without an error code.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// page reads the List parameters of any Omise list endpoint: from, to
// (default now), offset, limit and order.
func (q *request) page(now time.Time) (paylinks.LinkFilter, error) {
	p := q.params
	f := paylinks.LinkFilter{Limit: defaultLimit}
	var err error
	if f.From, err = p.time("from"); err != nil {
		return f, err
	}
	if f.To, err = p.time("to"); err != nil {
		return f, err
	}
	if f.To.IsZero() {
		// The default window ends now; a window that starts later is empty
		// rather than an error.
		f.To = now
		if f.From.After(now) {
			f.To = f.From
		}
	}
	if n, ok, err := p.int64("offset"); err != nil {
		return f, err
	} else if ok {
		if n < 0 || n > 1<<31 {
			return f, paylinks.Invalid("invalid_page", "offset", "offset must be a non-negative integer")
		}
		f.Offset = int(n)
	}
	if n, ok, err := p.int64("limit"); err != nil {
		return f, err
	} else if ok {
		if n < 1 {
			return f, paylinks.Invalid("invalid_page", "limit", "limit must be between 1 and %d", maxLimit)
		}
		f.Limit = int(min(n, maxLimit))
	}
	switch o, err := p.str("order"); {
	case err != nil:
		return f, err
	case o == "" || o == "chronological":
		f.Order = paylinks.Chronological
	case o == "reverse_chronological":
		f.Order = paylinks.ReverseChronological
	default:
		return f, paylinks.Invalid("bad_request", "order", "order must be chronological or reverse_chronological")
	}
	return f, nil
}

// ListLinks serves GET /links and GET /links/.
func (h *Handler) ListLinks(w http.ResponseWriter, q *request) error {
	f, err := q.page(h.svc.Now())
	if err != nil {
		return err
	}
	query := f
	if !q.params.has("to") {
		// Up to now is all there is: an open window lets the store answer
		// the total of the whole history without counting it.
		query.To = time.Time{}
	}
	links, total, err := h.svc.ListLinks(q.Context(), q.pr, query)
	if err != nil {
		return err
	}
	data, err := h.linksWithCharges(q, links)
	if err != nil {
		return err
	}
	api.WriteJSON(w, q.Request, http.StatusOK, newList("/links", data, f.Limit, f.Offset, total, f.Order, f.From, f.To, false))
	return nil
}

// ListLinkCharges serves GET /links/{id}/charges.
func (h *Handler) ListLinkCharges(w http.ResponseWriter, q *request) error {
	raw := q.PathValue("id")
	id, err := parseID(prefixLink, raw, q.pr.Livemode)
	if err != nil {
		return err
	}
	l, err := h.svc.GetLink(q.Context(), q.pr, id, raw)
	if err != nil {
		return err
	}
	f, err := q.page(h.svc.Now())
	if err != nil {
		return err
	}
	cs, total, err := h.svc.ListCharges(q.Context(), q.pr, paylinks.ChargeFilter{LinkID: &id, From: f.From, To: f.To,
		Order: f.Order, Offset: f.Offset, Limit: f.Limit})
	if err != nil {
		return err
	}
	data := make([]any, len(cs))
	for i := range cs {
		data[i] = h.renderLinkCharge(q, l, &cs[i])
	}
	api.WriteJSON(w, q.Request, http.StatusOK, newList("/links/"+raw+"/charges", data, f.Limit, f.Offset, total, f.Order, f.From, f.To, false))
	return nil
}
