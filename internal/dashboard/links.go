package dashboard

import (
	"net/http"
	"strings"

	"github.com/paylinks/paylinks"
	"github.com/paylinks/paylinks/internal/service"
)

// linksPerPage is the size of a page of the links and payments lists.
const linksPerPage = 25

type linkRow struct {
	paylinks.Link
	URL string
}

type linksData struct {
	Links []linkRow
	Next  string // the cursor of the next page, "" on the last
}

// Links serves GET /dashboard/links: the account's links in the mode,
// newest first, a page at a time by cursor (?after=).
func (h *Handler) Links(w http.ResponseWriter, r *http.Request, s *session) {
	p := service.CursorPage{Limit: linksPerPage}
	if a := r.URL.Query().Get("after"); a != "" {
		id, ok := paylinks.ParseBase36(a)
		if !ok {
			h.message(w, r, s, http.StatusBadRequest, "Not valid", "The page cursor is not a link of this list.")
			return
		}
		p.After = &id
	}
	page, err := h.svc.LinkPage(r.Context(), s.pr, p)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	d := linksData{}
	for _, l := range page.Items {
		d.Links = append(d.Links, linkRow{Link: l, URL: h.shareURL(&l)})
	}
	if page.HasMore && len(page.Items) > 0 {
		d.Next = paylinks.FormatBase36(page.Items[len(page.Items)-1].ID)
	}
	v := h.newView(s, "Links")
	v.Nav, v.Data = "links", d
	h.render(w, r, http.StatusOK, "links", v)
}

func (h *Handler) shareURL(l *paylinks.Link) string { return h.publicURL + "/l/" + l.Slug }

// NewLink serves GET /dashboard/links/new: the form of a new link.
func (h *Handler) NewLink(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "New link")
	v.Nav = "links"
	v.Form["currency"] = h.defaultCurrency(r, s)
	h.render(w, r, http.StatusOK, "link_new", v)
}

// CreateLink serves POST /dashboard/links: it creates the link through the
// service (the API's validations) and shows it, or the form again with
// the service's error beside its field.
func (h *Handler) CreateLink(w http.ResponseWriter, r *http.Request, s *session) {
	v := h.newView(s, "New link")
	v.Nav = "links"
	for _, k := range []string{"title", "description", "amount", "currency", "success_url", "multiple"} {
		v.Form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	p := service.LinkParams{Title: v.Form["title"], Description: v.Form["description"], Currency: v.Form["currency"],
		SuccessURL: v.Form["success_url"], Multiple: v.Form["multiple"] == "1"}
	if a := v.Form["amount"]; a != "" {
		cur, _ := paylinks.NormalizeCurrency(p.Currency)
		amount, ok := paylinks.ParseDecimal(a, cur)
		if !ok || amount <= 0 {
			v.Errors["amount"] = "Type an amount like 99.00, with at most the currency's decimals, or leave it empty for the payer to choose."
			h.render(w, r, http.StatusBadRequest, "link_new", v)
			return
		}
		p.Amount = amount
	}
	l, err := h.svc.CreateLink(r.Context(), s.pr, p)
	if err != nil {
		if fieldErrors(v, err) {
			h.render(w, r, http.StatusBadRequest, "link_new", v)
			return
		}
		h.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/dashboard/links/"+paylinks.FormatBase36(l.ID), http.StatusSeeOther)
}

type linkData struct {
	Link    *paylinks.Link
	URL     string
	QR      any // template.HTML of the QR code's SVG
	Charges []paylinks.Charge
}

// Link serves GET /dashboard/links/{id}: the link, its share URL and QR
// code, and its latest payments.
func (h *Handler) Link(w http.ResponseWriter, r *http.Request, s *session) {
	l, ok := h.link(w, r, s)
	if !ok {
		return
	}
	url := h.shareURL(l)
	svg, err := qrSVG(url)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	cs, _, err := h.svc.ListCharges(r.Context(), s.pr, paylinks.ChargeFilter{LinkID: &l.ID, Order: paylinks.ReverseChronological, Limit: linksPerPage})
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	v := h.newView(s, l.Title)
	v.Nav, v.Data = "links", linkData{Link: l, URL: url, QR: svg, Charges: cs}
	h.render(w, r, http.StatusOK, "link", v)
}

// LinkQR serves GET /dashboard/links/{id}/qr.png: the QR code of the
// link's share URL as a PNG download.
func (h *Handler) LinkQR(w http.ResponseWriter, r *http.Request, s *session) {
	l, ok := h.link(w, r, s)
	if !ok {
		return
	}
	png, err := qrPNG(h.shareURL(l))
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `attachment; filename="`+l.Slug+`-qr.png"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(png)
}

// link returns the link named by the path's id, or answers the request.
func (h *Handler) link(w http.ResponseWriter, r *http.Request, s *session) (*paylinks.Link, bool) {
	display := r.PathValue("id")
	id, ok := paylinks.ParseBase36(display)
	if !ok {
		h.message(w, r, s, http.StatusNotFound, "Not found", "There is no such link.")
		return nil, false
	}
	l, err := h.svc.GetLink(r.Context(), s.pr, id, display)
	if err != nil {
		h.fail(w, r, s, err)
		return nil, false
	}
	if l.Deleted() {
		h.message(w, r, s, http.StatusNotFound, "Not found", "This link was deleted.")
		return nil, false
	}
	return l, true
}
