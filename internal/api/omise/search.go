package omise

import (
	"net/http"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/api"
	"github.com/paylinks/paylinks/internal/service"
)

// search is Omise's Search object (reference §8).
type search struct {
	Object     string            `json:"object"`
	Location   string            `json:"location"`
	Scope      string            `json:"scope"`
	Query      string            `json:"query"`
	Filters    map[string]string `json:"filters"`
	Page       int               `json:"page"`
	PerPage    int               `json:"per_page"`
	Total      int               `json:"total"`
	TotalPages int               `json:"total_pages"`
	Order      string            `json:"order"`
	Data       []any             `json:"data"`
}

// Search serves GET /search: scope link or charge, query, filters[…],
// order, page, per_page.
func (h *Handler) Search(w http.ResponseWriter, q *request) error {
	p := q.params
	var sp service.SearchParams
	var err error
	if sp.Scope, err = p.str("scope"); err != nil {
		return err
	}
	if sp.Query, err = p.str("query"); err != nil {
		return err
	}
	if sp.Filters, err = p.stringMap("filters"); err != nil {
		return err
	}
	if sp.Scope == service.SearchCharges && strings.HasPrefix(sp.Query, prefixCharge+"_") {
		if id, err := parseID(prefixCharge, strings.TrimSpace(sp.Query), q.pr.Livemode); err == nil {
			sp.QueryID = &id
		}
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"page", &sp.Page}, {"per_page", &sp.PerPage}} {
		if n, ok, err := p.int64(f.name); err != nil {
			return err
		} else if ok {
			if n < 1 || n > 1<<20 {
				return paylinks.Invalid("invalid_page", f.name, "%s must be a whole number from 1", f.name)
			}
			*f.dst = int(n)
		}
	}
	switch o, err := p.str("order"); {
	case err != nil:
		return err
	case o == "" || o == "chronological":
		sp.Order = paylinks.Chronological
	case o == "reverse_chronological":
		sp.Order = paylinks.ReverseChronological
	default:
		return paylinks.Invalid("bad_request", "order", "order must be chronological or reverse_chronological")
	}
	res, err := h.svc.Search(q.Context(), q.pr, sp)
	if err != nil {
		return err
	}
	v := search{Object: "search", Location: "/search", Scope: sp.Scope, Query: sp.Query, Filters: sp.Filters,
		Page: res.Page, PerPage: res.PerPage, Total: res.Total, TotalPages: res.TotalPages, Order: orderName(sp.Order),
		Data: []any{}}
	if v.Filters == nil {
		v.Filters = map[string]string{}
	}
	if sp.Scope == service.SearchLinks {
		data, err := h.linksWithCharges(q, res.Links)
		if err != nil {
			return err
		}
		v.Data = append(v.Data, data...)
	} else {
		for i := range res.Charges {
			v.Data = append(v.Data, h.renderCharge(q, &res.Charges[i]))
		}
	}
	api.WriteJSON(w, q.Request, http.StatusOK, v)
	return nil
}
